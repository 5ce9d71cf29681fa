#!/usr/bin/env node
import { runSensorMain } from '../cli/sensor-main.js';

process.exitCode = await runSensorMain(process.argv.slice(2));
