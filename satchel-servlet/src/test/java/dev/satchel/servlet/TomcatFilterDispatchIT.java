package dev.satchel.servlet;

/** {@link FilterDispatchContract} in embedded Tomcat 11. */
class TomcatFilterDispatchIT extends FilterDispatchContract {
    @Override
    protected ServletContainer.Factory containers() {
        return TomcatFilterIT::start;
    }
}
