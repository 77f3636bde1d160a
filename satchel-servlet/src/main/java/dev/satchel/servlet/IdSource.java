package dev.satchel.servlet;

/** Where a request carried its session id. */
public enum IdSource {
    /** A cookie. */
    COOKIE,
    /** A request header, for REST clients. */
    HEADER,
    /** A {@code ;sid=} path parameter (URL rewriting). */
    URL
}
