package dev.satchel.servlet;

/** When a request's changes reach the store. */
public enum FlushMode {
    /** Once, just before the response is committed (the default): one write per request. */
    ON_COMMIT,
    /** On every change, for applications that need a change visible before their response ends. */
    IMMEDIATE
}
