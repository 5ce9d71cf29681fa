/**
 * bpf/events.h as the C++ compiler lays it out (native/layout.cc, through the built addon) must equal
 * src/sensor/layout.ts, field by field: the decoder reads nothing else. No root needed; skipped (with the
 * reason) only when the addon is not built, unless AGENTPROV_REQUIRE_EBPF=1.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS_ABI, EventKind, LAYOUT, LIMITS, CgroupFlag, TrackFlag, Contain, DENY_CONTAIN_SHIFT, addonPath, isAddonBuilt, loadAddon } from '../../src/sensor/index.js';

const built = isAddonBuilt();
const required = process.env['AGENTPROV_REQUIRE_EBPF'] === '1';
const suite = built || required ? describe : describe.skip;

suite(`events.h layout: addon vs layout.ts${built ? '' : ` (skipped: addon not built at ${addonPath()})`}`, () => {
  it('has the same structs, sizes and field offsets', () => {
    const native = loadAddon().layout();
    expect(Object.keys(native).sort()).toEqual(Object.keys(LAYOUT).sort());
    for (const [name, ts] of Object.entries(LAYOUT)) {
      expect({ struct: name, size: native[name]?.size }).toEqual({ struct: name, size: ts.size });
      expect({ struct: name, fields: native[name]?.fields }).toEqual({ struct: name, fields: ts.fields });
    }
  });

  it('has the same ABI, limits, kinds and flags', () => {
    const c = loadAddon().constants();
    expect(c['AP_EVENTS_ABI']).toBe(EVENTS_ABI);
    for (const [k, v] of Object.entries(LIMITS)) expect({ [k]: c[k] }).toEqual({ [k]: v });
    for (const [k, v] of Object.entries(EventKind)) expect({ [k]: c[`AP_EV_${k}`] }).toEqual({ [k]: v });
    for (const [k, v] of Object.entries(CgroupFlag)) expect({ [k]: c[`AP_CG_${k}`] }).toEqual({ [k]: v });
    for (const [k, v] of Object.entries(TrackFlag)) expect({ [k]: c[`AP_TRACK_${k}`] }).toEqual({ [k]: v });
    for (const [k, v] of Object.entries(Contain)) expect({ [k]: c[`AP_CONTAIN_${k}`] }).toEqual({ [k]: v });
    expect(c['AP_DENY_CONTAIN_SHIFT']).toBe(DENY_CONTAIN_SHIFT);
  });
});
