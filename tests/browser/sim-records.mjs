// SPDX-License-Identifier: GPL-3.0-or-later
//
// An encoder of SIM records written for the browser test, independent of the
// C codecs it checks: the test builds the card's bytes itself, registers
// them through the protocol, and reads the portal's edits back the same way.

// TS 23.038 §6.2.1: the GSM 7 bit default alphabet (no escape table here).
const GSM7 = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

function gsm7Code (ch) {
  const i = GSM7.indexOf(ch);
  return i >= 0 && ch !== '\u001b' ? i : -1;
}

/* TS 51.011 §10.5.1 / TS 31.102 Annex A: the alpha identifier, either GSM 7
 * bit default alphabet with bit 8 zero, one character a byte, or 0x80 then
 * UCS2 big-endian; unused bytes 0xFF. Throws when the text does not fit. */
export function encodeAlpha (text, size) {
  const out = new Uint8Array(size).fill(0xff);
  const chars = Array.from(text);
  if (chars.every((c) => gsm7Code(c) >= 0)) {
    if (chars.length > size)
      throw new Error(`alpha "${text}" needs ${chars.length} bytes, ${size} available`);
    chars.forEach((c, i) => { out[i] = gsm7Code(c); });
    return out;
  }
  if (1 + 2 * text.length > size)
    throw new Error(`alpha "${text}" needs ${1 + 2 * text.length} bytes (UCS2), ${size} available`);
  out[0] = 0x80;
  for (let i = 0; i < text.length; i++) {
    const u = text.charCodeAt(i);
    out[1 + 2 * i] = u >> 8;
    out[2 + 2 * i] = u & 0xff;
  }
  return out;
}

export function decodeAlpha (bytes) {
  if (bytes[0] === 0x80) {
    let s = '';
    for (let i = 1; i + 1 < bytes.length; i += 2) {
      const u = (bytes[i] << 8) | bytes[i + 1];
      if (u === 0xffff)
        break;
      s += String.fromCharCode(u);
    }
    return s;
  }
  let s = '';
  for (const b of bytes) {
    if (b === 0xff)
      break;
    s += GSM7[b & 0x7f];
  }
  return s;
}

const BCD_DIGITS = '0123456789*#';

/* Semi-octets, low nibble first, padded with 0xF (TS 24.008 §10.5.4.7). */
function bcd (digits) {
  const out = [];
  for (let i = 0; i < digits.length; i += 2) {
    const lo = BCD_DIGITS.indexOf(digits[i]);
    const hi = i + 1 < digits.length ? BCD_DIGITS.indexOf(digits[i + 1]) : 0xf;
    if (lo < 0 || hi < 0)
      throw new Error(`not a dialling digit in ${digits}`);
    out.push((hi << 4) | lo);
  }
  return out;
}

/* TS 51.011 §10.5.1 EF_ADN: alpha (X bytes), length of BCD number/SSC
 * contents, TON/NPI, 10 bytes of dialling number, CCP id, EXT1 id. */
export function encodeAdn (name, number, recordLen) {
  const out = new Uint8Array(recordLen).fill(0xff);
  const alphaLen = recordLen - 14;
  out.set(encodeAlpha(name, alphaLen), 0);
  if (number) {
    const international = number.startsWith('+');
    const digits = number.replace(/^\+/, '');
    const packed = bcd(digits);
    if (packed.length > 10)
      throw new Error(`number ${number} needs EXT1`);
    out[alphaLen] = 1 + packed.length;
    out[alphaLen + 1] = international ? 0x91 : 0x81;
    out.set(packed, alphaLen + 2);
  }
  return out;
}

export function decodeAdn (bytes) {
  const alphaLen = bytes.length - 14;
  const name = decodeAlpha(bytes.subarray(0, alphaLen));
  const len = bytes[alphaLen];
  let number = '';
  if (len !== 0xff && len >= 2) {
    if (bytes[alphaLen + 1] === 0x91)
      number = '+';
    for (let i = 0; i < len - 1; i++) {
      const b = bytes[alphaLen + 2 + i];
      for (const nib of [b & 0xf, b >> 4]) {
        if (nib === 0xf)
          break;
        number += BCD_DIGITS[nib] || '?';
      }
    }
  }
  return { name, number };
}

/* TS 23.038 §6.1.2.1: septets packed into octets, LSB first; `fillBits`
 * zero bits first (after a user data header, TS 23.040 §9.2.3.24). */
function packSeptets (text, fillBits = 0) {
  const septets = Array.from(text).map((c) => {
    const v = gsm7Code(c);
    if (v < 0)
      throw new Error(`not GSM 7 bit: ${c}`);
    return v;
  });
  const out = [];
  let acc = 0;
  let bits = fillBits;
  for (const s of septets) {
    acc |= s << bits;
    bits += 7;
    while (bits >= 8) {
      out.push(acc & 0xff);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0)
    out.push(acc & 0xff);
  return { octets: out, count: septets.length };
}

function semiOctet (n) {
  return ((n % 10) << 4) | Math.floor(n / 10);
}

/* TS 51.011 §10.5.3 EF_SMS: status (0x01 received and read), then the
 * service centre address (TS 24.011 §8.2.5.1) and an SMS-DELIVER TPDU
 * (TS 23.040 §9.2.2.1) in the GSM 7 bit default alphabet, padded with
 * 0xFF to 176 bytes. */
export function encodeSmsDeliver ({ from, text, time, read = true, concat = null }) {
  const out = new Uint8Array(176).fill(0xff);
  const bytes = [read ? 0x01 : 0x03];
  const sc = bcd('8613800100500');
  bytes.push(1 + sc.length, 0x91, ...sc);
  // SMS-DELIVER, no more messages; TP-UDHI when a header comes first
  bytes.push(concat ? 0x44 : 0x04);
  const oaDigits = from.replace(/^\+/, '');
  bytes.push(oaDigits.length, from.startsWith('+') ? 0x91 : 0x81, ...bcd(oaDigits));
  bytes.push(0x00, 0x00);                             // PID, DCS: GSM 7 bit
  const d = new Date(time);
  bytes.push(semiOctet(d.getUTCFullYear() % 100), semiOctet(d.getUTCMonth() + 1),
             semiOctet(d.getUTCDate()), semiOctet(d.getUTCHours()),
             semiOctet(d.getUTCMinutes()), semiOctet(d.getUTCSeconds()), 0x00);
  if (concat) {
    // TS 23.040 §9.2.3.24.1: UDHL 5, IEI 00 (8-bit reference), length 3,
    // reference, total, sequence; then 1 fill bit to the septet boundary.
    const ud = packSeptets(text, 1);
    bytes.push(7 + ud.count, 0x05, 0x00, 0x03, concat.ref, concat.total, concat.seq, ...ud.octets);
  } else {
    const ud = packSeptets(text);
    bytes.push(ud.count, ...ud.octets);
  }
  if (bytes.length > 176)
    throw new Error('message too long for one record');
  out.set(bytes, 0);
  return out;
}

/* TS 31.102 §4.4.2.1 EF_PBR: one record, a type 1 template (tag A8) of
 * file-id TLVs: C0 EF_ADN (with its SFI), C4 EF_ANR, CA EF_EMAIL, C3 EF_SNE. */
export function encodePbr ({ adn, anr, email, sne }, recordLen) {
  const out = new Uint8Array(recordLen).fill(0xff);
  const fid = (tag, id, sfi) => sfi === undefined
    ? [tag, 2, id >> 8, id & 0xff]
    : [tag, 3, id >> 8, id & 0xff, sfi];
  const tlvs = [...fid(0xc0, adn, 1)];
  if (anr) tlvs.push(...fid(0xc4, anr));
  if (email) tlvs.push(...fid(0xca, email));
  if (sne) tlvs.push(...fid(0xc3, sne));
  out.set([0xa8, tlvs.length, ...tlvs], 0);
  return out;
}

export function toHex (bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

export function fromHex (hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++)
    out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}
