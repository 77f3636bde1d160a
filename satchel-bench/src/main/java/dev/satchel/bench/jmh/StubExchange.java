package dev.satchel.bench.jmh;

import jakarta.servlet.ServletContext;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/**
 * A request and response pair that answer what the filter asks and nothing else, reused across
 * requests the way containers recycle theirs. Not thread-safe: one per benchmark thread.
 */
final class StubExchange {
    private static final HttpServletRequest NO_REQUEST = unsupported(HttpServletRequest.class);
    private static final HttpServletResponse NO_RESPONSE = unsupported(HttpServletResponse.class);

    private Cookie[] cookies;
    private Object applied;
    final Map<String, String> headers = new HashMap<>();

    final HttpServletRequest request = new HttpServletRequestWrapper(NO_REQUEST) {
        @Override
        public Cookie[] getCookies() {
            return cookies;
        }

        @Override
        public Object getAttribute(String name) {
            return applied;
        }

        @Override
        public void setAttribute(String name, Object o) {
            applied = o;
        }

        @Override
        public String getContextPath() {
            return "";
        }

        @Override
        public String getRequestURI() {
            return "/shop";
        }

        @Override
        public boolean isSecure() {
            return false;
        }

        @Override
        public boolean isAsyncStarted() {
            return false; // the filter asks after the chain, to know whether the request goes on
        }

        @Override
        public ServletContext getServletContext() {
            return null;
        }
    };

    final HttpServletResponse response = new HttpServletResponseWrapper(NO_RESPONSE) {
        @Override
        public boolean isCommitted() {
            return false;
        }

        @Override
        public void addHeader(String name, String value) {
            headers.put(name, value);
        }

        @Override
        public void setHeader(String name, String value) {
            headers.put(name, value);
        }

        @Override
        public int getBufferSize() {
            return 8192;
        }
    };

    /** Starts the next request, carrying these cookies. */
    StubExchange next(Cookie[] cookies) {
        this.cookies = cookies;
        this.applied = null;
        headers.clear();
        return this;
    }

    private static <T> T unsupported(Class<T> type) {
        return type.cast(
                Proxy.newProxyInstance(StubExchange.class.getClassLoader(), new Class<?>[] {type}, (p, m, a) -> {
                    throw new UnsupportedOperationException(m.getName());
                }));
    }
}
