// Strict UTF-8 validation (no overlongs, no surrogates, nothing past U+10FFFF). Every byte
// string that becomes a command line passes through here first.

export function validUtf8(ptr: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    const b = load<u8>(ptr + i);
    let need: usize = 0;
    if (b < 0x80) need = 0;
    else if ((b & 0xe0) == 0xc0 && b >= 0xc2) need = 1;
    else if ((b & 0xf0) == 0xe0) need = 2;
    else if ((b & 0xf8) == 0xf0 && b <= 0xf4) need = 3;
    else return false;
    if (i + need >= len && need > 0) return false;
    for (let k: usize = 1; k <= need; k++) {
      if ((load<u8>(ptr + i + k) & 0xc0) != 0x80) return false;
    }
    if (need > 1) {
      const b1 = load<u8>(ptr + i + 1);
      if (b == 0xe0 && b1 < 0xa0) return false;
      if (b == 0xed && b1 >= 0xa0) return false;
      if (b == 0xf0 && b1 < 0x90) return false;
      if (b == 0xf4 && b1 >= 0x90) return false;
    }
    i += need + 1;
  }
  return true;
}
