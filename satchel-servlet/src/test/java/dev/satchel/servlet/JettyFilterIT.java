package dev.satchel.servlet;

import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** The filter contract in embedded Jetty 12 (ee10, Servlet 6.0). */
class JettyFilterIT extends FilterContainerContract {

    @Override
    protected ServletContainer.Factory containers() {
        return (filter, servlet) -> {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler();
            context.setContextPath("/");
            context.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
            context.addServlet(new ServletHolder(servlet), "/*");
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
        };
    }
}
