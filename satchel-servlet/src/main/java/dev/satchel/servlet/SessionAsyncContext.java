package dev.satchel.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;

/**
 * The asynchronous context the application gets: completing it first saves the session and hands
 * out its id, while the response can still carry it, on whichever thread completes it; a dispatch
 * first saves what changed so far. The filter finishes a dispatched pass as it finishes a request,
 * when it is mapped for {@code ASYNC}; {@link #listener} saves late whatever no pass saved.
 */
final class SessionAsyncContext implements AsyncContext {
    private final AsyncContext delegate;
    private final RequestSessions sessions;

    SessionAsyncContext(AsyncContext delegate, RequestSessions sessions) {
        this.delegate = delegate;
        this.sessions = sessions;
    }

    /** The container's context behind this one. */
    AsyncContext delegate() {
        return delegate;
    }

    /** Hears the end of the request, to save what no pass through the filter saved. */
    AsyncListener listener() {
        return new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
                sessions.afterAsyncComplete();
            }

            @Override
            public void onTimeout(AsyncEvent event) {
                // the container's error dispatch follows, and the filter finishes that pass
            }

            @Override
            public void onError(AsyncEvent event) {
                // as for a timeout
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
                // the new start registers a listener of its own
            }
        };
    }

    @Override
    public void complete() {
        sessions.beforeAsyncComplete();
        delegate.complete();
    }

    @Override
    public void dispatch() {
        sessions.beforeCommit();
        sessions.asyncDispatched();
        delegate.dispatch();
    }

    @Override
    public void dispatch(String path) {
        sessions.beforeCommit();
        sessions.asyncDispatched();
        delegate.dispatch(path);
    }

    @Override
    public void dispatch(ServletContext context, String path) {
        sessions.beforeCommit();
        sessions.asyncDispatched();
        delegate.dispatch(context, path);
    }

    @Override
    public ServletRequest getRequest() {
        return delegate.getRequest();
    }

    @Override
    public ServletResponse getResponse() {
        return delegate.getResponse();
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
        return delegate.hasOriginalRequestAndResponse();
    }

    @Override
    public void start(Runnable run) {
        delegate.start(run);
    }

    @Override
    public void addListener(AsyncListener listener) {
        delegate.addListener(listener);
    }

    @Override
    public void addListener(AsyncListener listener, ServletRequest request, ServletResponse response) {
        delegate.addListener(listener, request, response);
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> type) throws ServletException {
        return delegate.createListener(type);
    }

    @Override
    public void setTimeout(long timeout) {
        delegate.setTimeout(timeout);
    }

    @Override
    public long getTimeout() {
        return delegate.getTimeout();
    }
}
