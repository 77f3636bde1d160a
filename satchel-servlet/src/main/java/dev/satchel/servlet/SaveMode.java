package dev.satchel.servlet;

/** Which attributes a request writes back to the store. */
public enum SaveMode {
    /** Only attributes set or removed by the request (the default, and the cheapest). */
    ON_SET_ATTRIBUTE,
    /**
     * Also attributes the request read, for applications that mutate a value in place without
     * setting it again.
     */
    ON_GET_ATTRIBUTE,
    /** Every attribute on every write; costly, for applications that cannot track their changes. */
    ALWAYS
}
