package dev.satchel.bench.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.satchel.cluster.ClusterStoreBuilder;
import dev.satchel.cluster.ClusterTls;
import dev.satchel.cluster.PrimaryBackupSessionStore;
import dev.satchel.cluster.ReplicatedSessionStore;
import dev.satchel.cluster.Replication;
import dev.satchel.core.SessionStore;
import dev.satchel.servlet.SatchelFilter;
import dev.satchel.servlet.SessionOptions;
import dev.satchel.testkit.Await;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.apache.catalina.Context;
import org.apache.catalina.ha.session.BackupManager;
import org.apache.catalina.ha.session.DeltaManager;
import org.apache.catalina.ha.tcp.SimpleTcpCluster;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.tribes.group.GroupChannel;
import org.apache.catalina.tribes.group.interceptors.MessageDispatchInterceptor;
import org.apache.catalina.tribes.group.interceptors.TcpFailureDetector;
import org.apache.catalina.tribes.membership.StaticMember;
import org.apache.catalina.tribes.membership.StaticMembershipService;
import org.apache.catalina.tribes.transport.nio.NioReceiver;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * One app node of the clustering benchmark, a process of its own: embedded Tomcat serving the same
 * cart servlet, with one contender's session layer under it. Every contender runs on the same
 * Tomcat, so only the session layer differs.
 *
 * <p>Usage: {@code PeerNode CONTENDER INDEX NODES HTTP_BASE CLUSTER_BASE}. Node {@code i} serves
 * HTTP on {@code HTTP_BASE + i} and speaks to its peers on {@code CLUSTER_BASE + i}, all on
 * 127.0.0.1. It prints {@code READY} once it sees every peer. Satchel's nodes use the product's
 * JGroups stack unless {@code BENCH_JGROUPS_CONFIG} names another file, to compare stack settings.
 */
public final class PeerNode {
    private static final String HOST = "127.0.0.1";
    private static final String STACK =
            System.getenv().getOrDefault("BENCH_JGROUPS_CONFIG", "dev/satchel/cluster/tcp.xml");

    private PeerNode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: PeerNode CONTENDER INDEX NODES HTTP_BASE CLUSTER_BASE");
            System.exit(2);
        }
        Peer peer = Peer.named(args[0]);
        int index = Integer.parseInt(args[1]);
        int nodes = Integer.parseInt(args[2]);
        int httpBase = Integer.parseInt(args[3]);
        int clusterBase = Integer.parseInt(args[4]);

        Path base = Files.createTempDirectory("satchel-peer");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        tomcat.setHostname(HOST);
        tomcat.setPort(httpBase + index);
        tomcat.getConnector().setProperty("address", HOST);
        tomcat.getConnector().setProperty("maxKeepAliveRequests", "-1");
        Context context = tomcat.addContext("", base.toString());

        BooleanSupplier formed;
        IntSupplier localSessions;
        HttpServlet cart;
        switch (peer) {
            case SATCHEL_REPLICATED,
                    SATCHEL_REPLICATED_ASYNC,
                    SATCHEL_REPLICATED_LINKS,
                    SATCHEL_REPLICATED_TLS,
                    SATCHEL_PRIMARY_BACKUP,
                    SATCHEL_PRIMARY_BACKUP_ASYNC,
                    SATCHEL_PRIMARY_BACKUP_TLS,
                    SATCHEL_PRIMARY_BACKUP_LINKS -> {
                if (peer == Peer.SATCHEL_PRIMARY_BACKUP_LINKS || peer == Peer.SATCHEL_REPLICATED_LINKS) {
                    System.setProperty("satchel.cluster.answer_links", "true");
                }
                System.setProperty("satchel.cluster.bind_addr", HOST);
                System.setProperty("satchel.cluster.port", Integer.toString(clusterBase + index));
                List<String> peers = new ArrayList<>();
                for (int j = 0; j < nodes; j++) {
                    peers.add(HOST + "[" + (clusterBase + j) + "]");
                }
                System.setProperty("satchel.cluster.peers", String.join(",", peers));
                SessionStore store;
                Replication mode = peer.name().endsWith("ASYNC") ? Replication.ASYNC : Replication.SYNC;
                if (peer.routesBySessionHash()) {
                    PrimaryBackupSessionStore pb = secured(PrimaryBackupSessionStore.builder("satchel-bench"), peer)
                            .nodeName(nodeName(index))
                            .mode(mode)
                            .timeout(Duration.ofSeconds(5))
                            .config(STACK)
                            .build();
                    formed = () -> pb.members().size() == nodes;
                    localSessions = pb::size;
                    store = pb;
                } else {
                    ReplicatedSessionStore replicated = secured(ReplicatedSessionStore.builder("satchel-bench"), peer)
                            .nodeName(nodeName(index))
                            .timeout(Duration.ofSeconds(5))
                            .config(STACK)
                            .mode(mode)
                            .build();
                    formed = () -> replicated.members().size() == nodes;
                    localSessions = replicated::size;
                    store = replicated;
                }
                FilterDef def = new FilterDef();
                def.setFilterName("satchel");
                def.setFilter(new SatchelFilter(store, SessionOptions.defaults()));
                context.addFilterDef(def);
                FilterMap map = new FilterMap();
                map.setFilterName("satchel");
                map.addURLPattern("/cart");
                context.addFilterMap(map);
                cart = new HttpSessionCart();
            }
            case TOMCAT_DELTA, TOMCAT_DELTA_ASYNC, TOMCAT_BACKUP -> {
                SimpleTcpCluster cluster = tomcatCluster(peer, index, nodes, clusterBase);
                tomcat.getEngine().setCluster(cluster);
                tomcat.getEngine().setJvmRoute(nodeName(index));
                context.setDistributable(true);
                formed = () -> cluster.getMembers().length == nodes - 1;
                localSessions = () -> context.getManager().getActiveSessions();
                cart = new HttpSessionCart();
            }
            case HAZELCAST_REPLICATED, HAZELCAST_PARTITIONED -> {
                HazelcastInstance hz = Hazelcast.newHazelcastInstance(hazelcastConfig(index, nodes, clusterBase));
                formed = () -> hz.getCluster().getMembers().size() == nodes;
                HazelcastCart hzCart = new HazelcastCart(hz, peer == Peer.HAZELCAST_REPLICATED);
                localSessions = hzCart::localEntries;
                cart = hzCart;
            }
            case UNSHARED -> {
                formed = () -> true;
                localSessions = () -> context.getManager().getActiveSessions();
                cart = new HttpSessionCart();
            }
            default -> throw new IllegalArgumentException(peer.toString());
        }
        Tomcat.addServlet(context, "cart", cart).addMapping("/cart");
        Tomcat.addServlet(context, "stats", new StatsServlet(localSessions)).addMapping("/bench/stats");
        tomcat.start();

        try {
            Await.until(Duration.ofSeconds(120), formed::getAsBoolean, "the cluster of " + nodes + " nodes to form");
        } catch (AssertionError notFormed) {
            System.err.println(notFormed.getMessage());
            System.exit(1); // Tomcat's threads would keep this process alive past a thrown error
        }
        System.out.println("READY " + peer.label() + " " + nodeName(index));
        System.out.flush();
    }

    static String nodeName(int index) {
        return "n" + index;
    }

    /** Tomcat's cluster as its documentation configures it, with static members on loopback. */
    private static SimpleTcpCluster tomcatCluster(Peer peer, int index, int nodes, int clusterBase) throws Exception {
        SimpleTcpCluster cluster = new SimpleTcpCluster();
        // 6 = acknowledged and synchronous (the response waits for every node); 8 = asynchronous,
        // the setting in Tomcat's sample configuration.
        cluster.setChannelSendOptions(peer == Peer.TOMCAT_DELTA_ASYNC ? 8 : 6);
        GroupChannel channel = new GroupChannel();
        NioReceiver receiver = new NioReceiver();
        receiver.setAddress(HOST);
        receiver.setPort(clusterBase + index);
        receiver.setAutoBind(1);
        channel.setChannelReceiver(receiver);
        StaticMembershipService membership = new StaticMembershipService();
        for (int j = 0; j < nodes; j++) {
            StaticMember member = new StaticMember();
            member.setHost(HOST);
            member.setPort(clusterBase + j);
            member.setDomain("satchel-bench");
            member.setUniqueId(uniqueId(j));
            if (j == index) {
                membership.setLocalMember(member);
            } else {
                membership.addStaticMember(member);
            }
        }
        channel.setMembershipService(membership);
        channel.addInterceptor(new TcpFailureDetector());
        channel.addInterceptor(new MessageDispatchInterceptor());
        cluster.setChannel(channel);
        if (peer == Peer.TOMCAT_BACKUP) {
            cluster.setManagerTemplate(new BackupManager());
        } else {
            DeltaManager delta = new DeltaManager();
            delta.setExpireSessionsOnShutdown(false);
            delta.setNotifyListenersOnReplication(true);
            cluster.setManagerTemplate(delta);
        }
        return cluster;
    }

    private static String uniqueId(int index) {
        StringBuilder id = new StringBuilder("{");
        for (int b = 0; b < 16; b++) {
            id.append(b == 15 ? index + 1 : 7).append(b == 15 ? "}" : ",");
        }
        return id.toString();
    }

    private static Config hazelcastConfig(int index, int nodes, int clusterBase) {
        Config config = new Config();
        config.setClusterName("satchel-bench");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.logging.type", "jdk");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(clusterBase + index).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface(HOST);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        List<String> members = new ArrayList<>();
        for (int j = 0; j < nodes; j++) {
            members.add(HOST + ":" + (clusterBase + j));
        }
        join.getTcpIpConfig().setEnabled(true).setMembers(members);
        return config;
    }

    /** The contenders, each a real configuration of its product. */
    /**
     * TLS between Satchel's nodes for the {@code -tls} contenders, from the keystore {@link
     * NodeGroup} made for the run; plain text for the others, as the peers they are compared with.
     */
    private static <B extends ClusterStoreBuilder<B, ?>> B secured(B builder, Peer peer) {
        if (!peer.tls()) {
            return builder.plaintext();
        }
        return builder.tls(ClusterTls.fromKeystore(
                Path.of(System.getenv(NodeGroup.KEYSTORE_VARIABLE)), NodeGroup.KEYSTORE_PASSWORD.toCharArray()));
    }

    enum Peer {
        SATCHEL_REPLICATED,
        SATCHEL_REPLICATED_ASYNC,
        /** Synchronous replication with TLS between the nodes: what encryption costs. */
        SATCHEL_REPLICATED_TLS,
        /** Synchronous replication with its saves and answers on links of its own (off by default). */
        SATCHEL_REPLICATED_LINKS,
        SATCHEL_PRIMARY_BACKUP,
        SATCHEL_PRIMARY_BACKUP_ASYNC,
        /** Synchronous primary-backup with TLS between the nodes: what encryption costs. */
        SATCHEL_PRIMARY_BACKUP_TLS,
        /** Synchronous primary-backup with its saves and answers on links of its own (off by default). */
        SATCHEL_PRIMARY_BACKUP_LINKS,
        TOMCAT_DELTA,
        TOMCAT_DELTA_ASYNC,
        TOMCAT_BACKUP,
        HAZELCAST_REPLICATED,
        HAZELCAST_PARTITIONED,
        /** No sharing at all, Tomcat's own manager: the ceiling the app and the HTTP layer set. */
        UNSHARED;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        boolean satchel() {
            return name().startsWith("SATCHEL");
        }

        /** Whether a sticky balancer would send a session to its owner by hashing the session id. */
        boolean routesBySessionHash() {
            return this == SATCHEL_PRIMARY_BACKUP
                    || this == SATCHEL_PRIMARY_BACKUP_ASYNC
                    || this == SATCHEL_PRIMARY_BACKUP_TLS
                    || this == SATCHEL_PRIMARY_BACKUP_LINKS;
        }

        /** Whether Satchel's nodes talk over TLS. */
        boolean tls() {
            return name().endsWith("_TLS");
        }

        static Peer named(String label) {
            for (Peer p : values()) {
                if (p.label().equals(label)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown contender: " + label);
        }
    }

    /** {@code GET /bench/stats}: heap in use after a full collection, and sessions held here. */
    private static final class StatsServlet extends HttpServlet {
        private final transient IntSupplier localSessions;

        StatsServlet(IntSupplier localSessions) {
            this.localSessions = localSessions;
        }

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            Runtime runtime = Runtime.getRuntime();
            for (int i = 0; i < 3; i++) {
                System.gc();
            }
            long used = runtime.totalMemory() - runtime.freeMemory();
            byte[] body = (used + " " + localSessions.getAsInt() + "\n").getBytes(StandardCharsets.US_ASCII);
            response.setContentType("text/plain");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        }
    }
}
