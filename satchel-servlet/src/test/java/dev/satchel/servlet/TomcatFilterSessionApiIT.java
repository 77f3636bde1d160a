package dev.satchel.servlet;

/** {@link FilterSessionApiContract} in embedded Tomcat 11. */
class TomcatFilterSessionApiIT extends FilterSessionApiContract {
    @Override
    protected ServletContainer.Factory containers() {
        return TomcatFilterIT::start;
    }
}
