/**
 * How attribute values become bytes and back: the {@link dev.satchel.core.codec.AttributeCodec}
 * SPI and its default, safe to decode from untrusted storage (a compact binary form for scalars,
 * JSON for collections and records, Java serialization only behind an allowlist). Stores keep only
 * the bytes; the servlet filter encodes when an attribute is set and decodes on first read.
 */
package dev.satchel.core.codec;
