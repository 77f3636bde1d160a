package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.jgroups.JChannel;
import org.jgroups.protocols.TCPPING;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How many peers a node counts for readiness. Across hosts each peer has an address of its own;
 * JGroups 5 adds this node's bind address with every listed port to the hosts TCPPING probes, and
 * counting those made two nodes of three fewer than half: the surviving majority of a three-host
 * cluster answered "not ready" the moment one host was cut off or killed (seen in the lab on
 * network namespaces).
 */
class ListedPeersTest {
    private static final String[] PROPERTIES = {"satchel.cluster.peers", "satchel.cluster.bind_addr"};

    @AfterEach
    void clearProperties() {
        for (String p : PROPERTIES) {
            System.clearProperty(p);
        }
    }

    /** The default stack, not connected: its protocols are set up from the properties, nothing binds. */
    private static JChannel stack(String peers) throws Exception {
        System.setProperty("satchel.cluster.peers", peers);
        System.setProperty("satchel.cluster.bind_addr", "127.0.0.1");
        return new JChannel(ClusterStoreBuilder.DEFAULT_CONFIG);
    }

    @Test
    void threePeersOnThreeAddressesCountAsThree_thoughJGroupsProbesMore() throws Exception {
        try (JChannel channel = stack("127.0.0.1[7801],10.77.9.2[7802],10.77.9.3[7803]")) {
            TCPPING discovery = channel.getProtocolStack().findProtocol(TCPPING.class);
            assertThat(discovery.getInitialHosts().stream().distinct().count())
                    .as("what JGroups probes: the listed hosts and this node's address with each port")
                    .isEqualTo(5);
            assertThat(Membership.listedPeers(channel)).isEqualTo(3);
        }
    }

    @Test
    void peersSharingAnAddressCountOnceEach_andDuplicatesOnce() throws Exception {
        try (JChannel channel = stack("127.0.0.1[7801], 127.0.0.1[7802],127.0.0.1[7803],127.0.0.1[7801]")) {
            assertThat(Membership.listedPeers(channel)).isEqualTo(3);
        }
    }

    @Test
    void twoOfThreeHoldEnough_oneOfThreeAndTwoOfFiveDoNot_andNoListServesAlways() {
        assertThat(Membership.holdsEnoughOf(3, 2)).isTrue();
        assertThat(Membership.holdsEnoughOf(3, 1)).isFalse();
        assertThat(Membership.holdsEnoughOf(5, 2)).isFalse();
        assertThat(Membership.holdsEnoughOf(4, 2)).isTrue();
        assertThat(Membership.holdsEnoughOf(0, 1)).isTrue();
    }
}
