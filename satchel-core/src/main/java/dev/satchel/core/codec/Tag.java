package dev.satchel.core.codec;

/** First byte of every encoded value; the numbers are a storage format and must never change. */
final class Tag {
    static final byte STRING = 1;
    static final byte INT = 2;
    static final byte LONG = 3;
    static final byte BOOLEAN = 4;
    static final byte DOUBLE = 5;
    static final byte BYTES = 6;
    static final byte JSON = 7;
    static final byte RECORD = 8;
    static final byte JAVA = 9;
    static final byte SET = 10;

    private Tag() {}
}
