package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ConfigExportTest {

    private static BalancerConfig config(Policy policy) {
        return BalancerConfig.builder()
                .policy(policy)
                .node(new NodeAddress("node-1", "127.0.0.1", 9001))
                .node(new NodeAddress("node-2", "127.0.0.1", 9002))
                .tunnelIdleTimeout(Duration.ofMinutes(10))
                .build();
    }

    @Test
    void sessionHash_saysWhereThePeersHashDiffers_andRoutesByTheRouteSuffix() {
        String haproxy = ConfigExport.haproxy(config(Policy.SESSION_HASH));
        assertThat(haproxy)
                .contains("# Not the same placement as Satchel's session-hash")
                .contains("use-server node-1 if { req.cook(SID) -m end .node-1 }")
                .contains("use-server node-2 if { req.cook(SID) -m end .node-2 }");
        String nginx = ConfigExport.nginx(config(Policy.SESSION_HASH));
        assertThat(nginx)
                .contains("# Not the same placement as Satchel's session-hash")
                .contains("map $cookie_SID $satchel_owner {")
                .contains("\"~\\.node-1$\" 127.0.0.1:9001;")
                .contains("proxy_pass http://$satchel_owner;");
    }

    @Test
    void otherPolicies_carryNoCaveat_andRouteToTheUpstream() {
        assertThat(ConfigExport.haproxy(config(Policy.STICKY_COOKIE)))
                .doesNotContain("Not the same placement")
                .doesNotContain("use-server");
        assertThat(ConfigExport.nginx(config(Policy.IP_HASH)))
                .doesNotContain("$satchel_owner")
                .contains("proxy_pass http://satchel_nodes;");
    }

    @Test
    void webSockets_passInBothExports_withTheTunnelTimeout() {
        assertThat(ConfigExport.haproxy(config(Policy.ROUND_ROBIN))).contains("timeout tunnel 600000ms");
        assertThat(ConfigExport.nginx(config(Policy.ROUND_ROBIN)))
                .contains("proxy_set_header Upgrade $http_upgrade;")
                .contains("proxy_set_header Connection $satchel_connection;");
    }

    @Test
    void aTlsBalancer_exportsTlsListeners_andForwardsHttps(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        BalancerConfig tls = BalancerConfig.builder()
                .node(new NodeAddress("node-1", "127.0.0.1", 9001))
                .tls(SelfSignedCertificates.forLocalhost(dir, 1))
                .build();
        assertThat(ConfigExport.haproxy(tls))
                .contains("bind 127.0.0.1:8080 ssl crt /etc/haproxy/satchel.pem ssl-min-ver TLSv1.2")
                .contains("set-header X-Forwarded-Proto https");
        assertThat(ConfigExport.nginx(tls))
                .contains("listen 127.0.0.1:8080 ssl;")
                .contains("ssl_protocols TLSv1.2 TLSv1.3;");
        assertThat(ConfigExport.haproxy(config(Policy.ROUND_ROBIN))).doesNotContain(" ssl ");
    }
}
