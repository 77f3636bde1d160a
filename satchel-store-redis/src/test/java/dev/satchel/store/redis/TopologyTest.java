package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the store's URI selects, and the client options each topology gets, without a server. */
class TopologyTest {
    private static final Duration TIMEOUT = Duration.ofMillis(750);

    /** The options every topology shares: fail fast while disconnected, every wait bounded. */
    private static void assertCommonOptions(ClientOptions options) {
        assertThat(options.isAutoReconnect()).isTrue();
        assertThat(options.getDisconnectedBehavior()).isEqualTo(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
        assertThat(options.getTimeoutOptions().isTimeoutCommands()).isTrue();
        var source = options.getTimeoutOptions().getSource();
        assertThat(Duration.of(source.getTimeout(null), source.getTimeUnit().toChronoUnit()))
                .as("command timeout")
                .isEqualTo(TIMEOUT);
        assertThat(options.getSocketOptions().getConnectTimeout())
                .as("connect timeout")
                .isEqualTo(TIMEOUT);
    }

    @Test
    void standalone_getsTheCommonOptions_andItsTimeoutOnTheUri() {
        Topology t = Topology.of("redis://127.0.0.1:6379");
        assertThat(t.kind()).isEqualTo(Topology.Kind.STANDALONE);
        assertThat(Topology.of("rediss://cache.example:6380").kind()).isEqualTo(Topology.Kind.STANDALONE);
        ClientOptions options = t.clientOptions(TIMEOUT);
        assertCommonOptions(options);
        assertThat(options).isNotInstanceOf(ClusterClientOptions.class);
        RedisURI uri = t.redisUri(TIMEOUT);
        assertThat(uri.getPort()).isEqualTo(6379);
        assertThat(uri.getTimeout()).isEqualTo(TIMEOUT);
    }

    @Test
    void sentinel_getsTheCommonOptions_andEverySentinelAndTheMasterName() {
        Topology t = Topology.of("redis-sentinel://10.0.0.5:26379,10.0.0.6:26380#sessions");
        assertThat(t.kind()).isEqualTo(Topology.Kind.SENTINEL);
        assertCommonOptions(t.clientOptions(TIMEOUT));
        RedisURI uri = t.redisUri(TIMEOUT);
        assertThat(uri.getSentinelMasterId()).isEqualTo("sessions");
        assertThat(uri.getSentinels()).extracting(RedisURI::getPort).containsExactly(26379, 26380);
        assertThat(uri.getTimeout()).isEqualTo(TIMEOUT);
    }

    @Test
    void cluster_getsTheCommonOptions_andFollowsFailoversAndResharding() {
        Topology t = Topology.of("redis-cluster://10.0.0.5:7000,10.0.0.6:7001");
        assertThat(t.isCluster()).isTrue();
        ClientOptions options = t.clientOptions(TIMEOUT);
        assertCommonOptions(options);
        assertThat(options).isInstanceOf(ClusterClientOptions.class);
        ClusterTopologyRefreshOptions refresh = ((ClusterClientOptions) options).getTopologyRefreshOptions();
        assertThat(refresh.getAdaptiveRefreshTriggers())
                .containsExactlyInAnyOrder(ClusterTopologyRefreshOptions.RefreshTrigger.values());
        assertThat(refresh.isPeriodicRefreshEnabled()).isTrue();
        assertThat(refresh.getRefreshPeriod()).isEqualTo(Topology.CLUSTER_REFRESH_PERIOD);
    }

    @Test
    void clusterSeeds_areOnePerHost_withTheCredentialsAndTimeout_ignoringBlanksAndAPath() {
        List<RedisURI> seeds = Topology.of("redis-cluster://user:secret@10.0.0.5:7000, ,10.0.0.6:7001/0")
                .clusterSeeds(TIMEOUT);
        assertThat(seeds).extracting(RedisURI::getHost).containsExactly("10.0.0.5", "10.0.0.6");
        assertThat(seeds).extracting(RedisURI::getPort).containsExactly(7000, 7001);
        assertThat(seeds).allSatisfy(seed -> {
            assertThat(seed.getUsername()).isEqualTo("user");
            assertThat(new String(seed.getPassword())).isEqualTo("secret");
            assertThat(seed.getTimeout()).isEqualTo(TIMEOUT);
        });
    }

    @Test
    void tlsClusterSeeds_useTls_andVerifyThePeer() {
        Topology t = Topology.of("rediss-cluster://user:secret@10.0.0.5:7000,10.0.0.6:7001?ca=/etc/ca.pem");
        assertThat(t.isCluster()).isTrue();
        assertThat(t.usesTls()).isTrue();
        List<RedisURI> seeds = t.clusterSeeds(TIMEOUT);
        assertThat(seeds).extracting(RedisURI::getPort).containsExactly(7000, 7001);
        assertThat(seeds).allSatisfy(seed -> {
            assertThat(seed.isSsl()).isTrue();
            assertThat(seed.getVerifyMode()).isEqualTo(io.lettuce.core.SslVerifyMode.FULL);
        });
        assertThat(Topology.of("redis-cluster://10.0.0.5:7000").clusterSeeds(TIMEOUT))
                .allSatisfy(seed -> assertThat(seed.isSsl()).isFalse());
    }

    @Test
    void aClusterUriWithLettuceOptions_isRefused_soSslTrueCannotBeDroppedUnseen() {
        assertThatThrownBy(() -> Topology.of("redis-cluster://u:secret@10.0.0.5:7000?ssl=true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rediss-cluster://")
                .hasMessageNotContaining("secret");
    }

    @Test
    void aPasswordWithAnAtSign_isMaskedWhole_andSplitAtTheLastAt() {
        Topology t = Topology.of("redis-cluster://u:se@cret@10.0.0.5:7000");
        assertThat(t.redacted()).isEqualTo("redis-cluster://***@10.0.0.5:7000");
        RedisURI seed = t.clusterSeeds(TIMEOUT).get(0);
        assertThat(seed.getHost()).isEqualTo("10.0.0.5");
        assertThat(new String(seed.getPassword())).isEqualTo("se@cret");
    }

    @Test
    void aClusterUriWithNoHost_isRefused_withoutItsPassword() {
        assertThatThrownBy(() -> Topology.of("redis-cluster://u:secret@, ").clusterSeeds(TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no host")
                .hasMessageNotContaining("secret");
    }

    @Test
    void anyOtherScheme_isRefused_withoutItsPassword() {
        assertThatThrownBy(() -> Topology.of("http://u:secret@10.0.0.5:6379"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a Redis URI")
                .hasMessageContaining("//***@10.0.0.5")
                .hasMessageNotContaining("secret");
        assertThatThrownBy(() -> Topology.of(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
