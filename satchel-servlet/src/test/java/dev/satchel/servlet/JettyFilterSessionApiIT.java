package dev.satchel.servlet;

/** {@link FilterSessionApiContract} in embedded Jetty 12. */
class JettyFilterSessionApiIT extends FilterSessionApiContract {
    @Override
    protected ServletContainer.Factory containers() {
        return JettyFilterIT::start;
    }
}
