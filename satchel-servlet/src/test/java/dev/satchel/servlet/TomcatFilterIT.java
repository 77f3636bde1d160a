package dev.satchel.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ErrorPage;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.slf4j.bridge.SLF4JBridgeHandler;

/** The filter contract in embedded Tomcat 11 (Servlet 6.1). */
class TomcatFilterIT extends FilterContainerContract {
    static {
        // Tomcat logs through java.util.logging, whose console handler would print every start and
        // stop at INFO: hand its records to logback instead, which keeps libraries at WARN.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
    }

    @Override
    protected ServletContainer.Factory containers() {
        return TomcatFilterIT::start;
    }

    /** Starts Tomcat set up as {@link JettyFilterIT#start} sets up Jetty. */
    static ServletContainer start(Filter filter, HttpServlet servlet) throws Exception {
        return start(filter, servlet, EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR));
    }

    /** Starts Tomcat with the filter mapped for the given dispatcher types. */
    static ServletContainer start(Filter filter, HttpServlet servlet, EnumSet<DispatcherType> mapped) throws Exception {
        Path base = Files.createTempDirectory("satchel-tomcat");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        tomcat.setHostname("127.0.0.1");
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context context = tomcat.addContext("", base.toString());
        Wrapper probe = Tomcat.addServlet(context, "probe", servlet);
        probe.setAsyncSupported(true);
        probe.addMapping("/*");
        FilterDef def = new FilterDef();
        def.setFilterName("satchel");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        context.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("satchel");
        map.addURLPattern("/*");
        mapped.forEach(type -> map.setDispatcher(type.name()));
        context.addFilterMap(map);
        ErrorPage onException = new ErrorPage();
        onException.setExceptionType(Throwable.class.getName());
        onException.setLocation("/error-page");
        context.addErrorPage(onException);
        ErrorPage on500 = new ErrorPage();
        on500.setErrorCode(500);
        on500.setLocation("/error-page");
        context.addErrorPage(on500);
        tomcat.start();
        URI uri = URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
        return new ServletContainer() {
            @Override
            public URI base() {
                return uri;
            }

            @Override
            public void close() throws Exception {
                tomcat.stop();
                tomcat.destroy();
            }
        };
    }
}
