/** @module sensor: the eBPF sensor — addon loading, layout, decode, TLS parsing, lifecycle, sinks and CLI. */
export * from './addon.js';
export * from './layout.js';
export * from './decode.js';
export * from './event-fields.js';
export * from './tls.js';
export * from './cidr.js';
export * from './containment.js';
export * from './elf-exports.js';
export * from './tls-targets.js';
export * from './event-sink.js';
export * from './sensor.js';
export * from './sensor-cli.js';
