package dev.satchel.servlet;

/** {@link FilterDispatchContract} in embedded Jetty 12. */
class JettyFilterDispatchIT extends FilterDispatchContract {
    @Override
    protected ServletContainer.Factory containers() {
        return JettyFilterIT::start;
    }
}
