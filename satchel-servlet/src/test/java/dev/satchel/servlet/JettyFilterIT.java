package dev.satchel.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.net.URI;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.ErrorPageErrorHandler;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** The filter contract in embedded Jetty 12 (ee10, Servlet 6.0). */
class JettyFilterIT extends FilterContainerContract {

    @Override
    protected ServletContainer.Factory containers() {
        return JettyFilterIT::start;
    }

    /**
     * Starts Jetty with the filter mapped as the README says (REQUEST, ASYNC and ERROR), an error
     * page at {@code /error-page} for exceptions and 500, and async support declared.
     */
    static ServletContainer start(Filter filter, HttpServlet servlet) throws Exception {
        return start(filter, servlet, EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC, DispatcherType.ERROR));
    }

    /** Starts Jetty with the filter mapped for the given dispatcher types. */
    static ServletContainer start(Filter filter, HttpServlet servlet, EnumSet<DispatcherType> mapped) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        FilterHolder filterHolder = new FilterHolder(filter);
        filterHolder.setAsyncSupported(true);
        context.addFilter(filterHolder, "/*", mapped);
        ServletHolder servletHolder = new ServletHolder(servlet);
        servletHolder.setAsyncSupported(true);
        context.addServlet(servletHolder, "/*");
        ErrorPageErrorHandler errors = new ErrorPageErrorHandler();
        errors.addErrorPage(Throwable.class, "/error-page");
        errors.addErrorPage(500, "/error-page");
        context.setErrorHandler(errors);
        server.setHandler(context);
        server.start();
        URI base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
        return new ServletContainer() {
            @Override
            public URI base() {
                return base;
            }

            @Override
            public void close() throws Exception {
                server.stop();
            }
        };
    }
}
