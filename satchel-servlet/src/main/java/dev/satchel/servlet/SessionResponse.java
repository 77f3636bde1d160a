package dev.satchel.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;

/**
 * The response the application sees. Every path by which the container could commit it (a flush,
 * a full buffer, the declared length reached, an error or a redirect) first saves the session and
 * sets its cookie, so the next request, on any node, sees this one's changes.
 */
final class SessionResponse extends HttpServletResponseWrapper {
    /** Worst case UTF-8 bytes per char, so a writer never fills the buffer unnoticed. */
    private static final int MAX_BYTES_PER_CHAR = 3;

    private final RequestSessions sessions;
    private long contentLength = -1;
    private long written;
    private int bufferSize = -1;
    private ServletOutputStream out;
    private PrintWriter writer;

    SessionResponse(HttpServletResponse response, RequestSessions sessions) {
        super(response);
        this.sessions = sessions;
    }

    private void beforeCommit() {
        sessions.beforeCommit();
    }

    /** Saves before {@code bytes} more could make the container commit. */
    private void beforeWrite(long bytes) {
        if (bufferSize < 0) {
            bufferSize = getBufferSize();
        }
        long after = written + bytes;
        if (after >= bufferSize || (contentLength >= 0 && after >= contentLength)) {
            beforeCommit();
        }
        written = after;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (out == null) {
            out = new GuardedOutputStream(super.getOutputStream());
        }
        return out;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (writer == null) {
            writer = new PrintWriter(new GuardedWriter(super.getWriter()));
        }
        return writer;
    }

    @Override
    public void flushBuffer() throws IOException {
        beforeCommit();
        super.flushBuffer();
    }

    @Override
    public void sendError(int sc) throws IOException {
        sessions.errorSent();
        beforeCommit();
        super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
        sessions.errorSent();
        beforeCommit();
        super.sendError(sc, msg);
    }

    @Override
    public void sendRedirect(String location) throws IOException {
        beforeCommit();
        super.sendRedirect(location);
    }

    @Override
    public void setContentLength(int len) {
        setContentLengthLong(len);
    }

    @Override
    public void setContentLengthLong(long len) {
        contentLength = len;
        super.setContentLengthLong(len);
    }

    @Override
    public void setHeader(String name, String value) {
        trackLength(name, value);
        super.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        trackLength(name, value);
        super.addHeader(name, value);
    }

    @Override
    public void setIntHeader(String name, int value) {
        trackLength(name, Integer.toString(value));
        super.setIntHeader(name, value);
    }

    @Override
    public void addIntHeader(String name, int value) {
        trackLength(name, Integer.toString(value));
        super.addIntHeader(name, value);
    }

    private void trackLength(String name, String value) {
        if ("Content-Length".equalsIgnoreCase(name) && value != null) {
            try {
                contentLength = Long.parseLong(value.strip());
            } catch (NumberFormatException e) {
                contentLength = -1;
            }
        }
    }

    @Override
    public String encodeURL(String url) {
        return sessions.encodeUrl(super.encodeURL(url));
    }

    @Override
    public String encodeRedirectURL(String url) {
        return sessions.encodeUrl(super.encodeRedirectURL(url));
    }

    private final class GuardedOutputStream extends ServletOutputStream {
        private final ServletOutputStream delegate;

        GuardedOutputStream(ServletOutputStream delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(int b) throws IOException {
            beforeWrite(1);
            delegate.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            beforeWrite(len);
            delegate.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            beforeCommit();
            delegate.flush();
        }

        @Override
        public void close() throws IOException {
            beforeCommit();
            delegate.close();
        }

        @Override
        public boolean isReady() {
            return delegate.isReady();
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            delegate.setWriteListener(listener);
        }
    }

    private final class GuardedWriter extends Writer {
        private final PrintWriter delegate;

        GuardedWriter(PrintWriter delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(char[] cbuf, int off, int len) {
            beforeWrite((long) len * MAX_BYTES_PER_CHAR);
            delegate.write(cbuf, off, len);
        }

        @Override
        public void write(String str, int off, int len) {
            beforeWrite((long) len * MAX_BYTES_PER_CHAR);
            delegate.write(str, off, len);
        }

        @Override
        public void write(int c) {
            beforeWrite(MAX_BYTES_PER_CHAR);
            delegate.write(c);
        }

        @Override
        public void flush() {
            beforeCommit();
            delegate.flush();
        }

        @Override
        public void close() {
            beforeCommit();
            delegate.close();
        }
    }
}
