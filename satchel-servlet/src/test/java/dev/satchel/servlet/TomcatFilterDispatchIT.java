package dev.satchel.servlet;

import jakarta.servlet.DispatcherType;
import java.util.EnumSet;

/** {@link FilterDispatchContract} in embedded Tomcat 11. */
class TomcatFilterDispatchIT extends FilterDispatchContract {
    @Override
    protected ServletContainer.Factory containers() {
        return TomcatFilterIT::start;
    }

    @Override
    protected ServletContainer.Factory containersMappedForEveryDispatch() {
        return (filter, servlet) -> TomcatFilterIT.start(filter, servlet, EnumSet.allOf(DispatcherType.class));
    }

    @Override
    protected ServletContainer.Factory containersMappedForRequestAndErrorOnly() {
        return (filter, servlet) ->
                TomcatFilterIT.start(filter, servlet, EnumSet.of(DispatcherType.REQUEST, DispatcherType.ERROR));
    }
}
