package dev.satchel.servlet;

import jakarta.servlet.DispatcherType;
import java.util.EnumSet;

/** {@link FilterDispatchContract} in embedded Jetty 12. */
class JettyFilterDispatchIT extends FilterDispatchContract {
    @Override
    protected ServletContainer.Factory containers() {
        return JettyFilterIT::start;
    }

    @Override
    protected ServletContainer.Factory containersMappedForEveryDispatch() {
        return (filter, servlet) -> JettyFilterIT.start(filter, servlet, EnumSet.allOf(DispatcherType.class));
    }

    @Override
    protected ServletContainer.Factory containersMappedForRequestAndErrorOnly() {
        return (filter, servlet) ->
                JettyFilterIT.start(filter, servlet, EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR));
    }
}
