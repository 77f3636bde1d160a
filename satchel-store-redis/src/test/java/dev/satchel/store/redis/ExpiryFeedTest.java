package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which server settings publish the expiry events the feed listens for. */
class ExpiryFeedTest {

    @Test
    void keyeventExpiries_arePublished_byEAndXOrTheAllAlias() {
        assertThat(ExpiryFeed.publishesExpiries("Ex")).isTrue();
        assertThat(ExpiryFeed.publishesExpiries("KEA")).isTrue();
        assertThat(ExpiryFeed.publishesExpiries("xE")).isTrue();
    }

    @Test
    void keyspaceOnly_orOtherEvents_orNothing_publishNone() {
        assertThat(ExpiryFeed.publishesExpiries("")).isFalse();
        assertThat(ExpiryFeed.publishesExpiries("Kx"))
                .as("keyspace, not keyevent")
                .isFalse();
        assertThat(ExpiryFeed.publishesExpiries("Eg"))
                .as("generic commands, not expiries")
                .isFalse();
    }
}
