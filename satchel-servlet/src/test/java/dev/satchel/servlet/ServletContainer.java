package dev.satchel.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;

/** A real servlet container started for one test, serving one filter and one servlet on "/*". */
interface ServletContainer extends AutoCloseable {

    /** The base URI, such as {@code http://127.0.0.1:41234}. */
    URI base();

    @Override
    void close() throws Exception;

    /** Starts containers of one kind. */
    @FunctionalInterface
    interface Factory {
        ServletContainer start(Filter filter, HttpServlet servlet) throws Exception;
    }
}
