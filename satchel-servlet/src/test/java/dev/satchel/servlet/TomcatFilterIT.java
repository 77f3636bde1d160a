package dev.satchel.servlet;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/** The filter contract in embedded Tomcat 11 (Servlet 6.1). */
class TomcatFilterIT extends FilterContainerContract {

    @Override
    protected ServletContainer.Factory containers() {
        return (filter, servlet) -> {
            Path base = Files.createTempDirectory("satchel-tomcat");
            Tomcat tomcat = new Tomcat();
            tomcat.setBaseDir(base.toString());
            tomcat.setHostname("127.0.0.1");
            tomcat.setPort(0);
            tomcat.getConnector().setProperty("address", "127.0.0.1");
            Context context = tomcat.addContext("", base.toString());
            Tomcat.addServlet(context, "probe", servlet).addMapping("/*");
            FilterDef def = new FilterDef();
            def.setFilterName("satchel");
            def.setFilter(filter);
            context.addFilterDef(def);
            FilterMap map = new FilterMap();
            map.setFilterName("satchel");
            map.addURLPattern("/*");
            context.addFilterMap(map);
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
        };
    }
}
