package dev.satchel.balancer;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;

/**
 * A real WebSocket server (Jetty's) standing in for a node: {@code /ws} echoes text as
 * {@code <name>:<text>} and binary as it came; any other path answers plain HTTP with the node's name
 * and the Upgrade header it received, so a test can tell where a request went and what it carried.
 */
public final class WebSocketNode implements AutoCloseable {
    final String name;
    final AtomicInteger upgrades = new AtomicInteger();
    private final Server server;
    private final ServerConnector connector;

    WebSocketNode(String name) throws Exception {
        this.name = name;
        this.server = new Server();
        this.connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        WebSocketUpgradeHandler ws = WebSocketUpgradeHandler.from(server, container -> {
            container.setMaxBinaryMessageSize(8 << 20);
            container.setMaxTextMessageSize(1 << 20);
            container.addMapping("/ws", (request, response, callback) -> {
                upgrades.incrementAndGet();
                return new Echo(name);
            });
        });
        ws.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                String path = Request.getPathInContext(request);
                boolean known = path.equals("/health") || path.equals("/hello");
                response.setStatus(known ? 200 : 404);
                String upgrade = request.getHeaders().get("Upgrade");
                Content.Sink.write(response, true, name + " upgrade=" + upgrade, callback);
                return true;
            }
        });
        server.setHandler(ws);
        server.start();
    }

    NodeAddress address() {
        return new NodeAddress(name, "127.0.0.1", connector.getLocalPort());
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    /** Echoes each message back on the same WebSocket. */
    public static final class Echo extends Session.Listener.AbstractAutoDemanding {
        private final String name;

        public Echo(String name) {
            this.name = name;
        }

        @Override
        public void onWebSocketText(String text) {
            getSession().sendText(name + ":" + text, org.eclipse.jetty.websocket.api.Callback.NOOP);
        }

        @Override
        public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
            getSession().sendBinary(payload, callback);
        }
    }
}
