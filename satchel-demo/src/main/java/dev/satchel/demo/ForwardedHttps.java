package dev.satchel.demo;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpScheme;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;

/**
 * Makes a request that the balancer received over HTTPS count as secure on the node, so the session
 * cookie gets {@code Secure}. Only {@code X-Forwarded-Proto} is read, and only from loopback, where
 * the demo's balancer runs: Jetty's ForwardedRequestCustomizer would also take the client address
 * from the first {@code X-Forwarded-For} entry, which the client writes itself (see ClientAddress).
 */
final class ForwardedHttps implements HttpConfiguration.Customizer {

    @Override
    public Request customize(Request request, HttpFields.Mutable responseHeaders) {
        if (!"https".equalsIgnoreCase(request.getHeaders().get("X-Forwarded-Proto")) || !fromLoopback(request)) {
            return request;
        }
        HttpURI secure = HttpURI.build(request.getHttpURI()).scheme(HttpScheme.HTTPS);
        return new Request.Wrapper(request) {
            @Override
            public HttpURI getHttpURI() {
                return secure;
            }

            @Override
            public boolean isSecure() {
                return true;
            }
        };
    }

    private static boolean fromLoopback(Request request) {
        SocketAddress peer = request.getConnectionMetaData().getRemoteSocketAddress();
        return peer instanceof InetSocketAddress address
                && address.getAddress() != null
                && address.getAddress().isLoopbackAddress();
    }
}
