package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.cookie.SealedAttributes;
import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionStore;
import dev.satchel.core.memory.MemorySessionStore;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SealedAtRestOptionTest {

    @Test
    void aKeysetInTheEnvironment_sealsTheStore_andNoneLeavesItAlone() {
        MemorySessionStore memory = MemorySessionStore.builder().build();
        assertThat(StoreOption.sealedAtRest(memory, Map.of())).isSameAs(memory);
        SessionStore sealed = StoreOption.sealedAtRest(
                memory, Map.of(SealedAttributes.KEYSET_VARIABLE, SealedCookieSessions.generateKeyset()));
        assertThat(sealed).isNotSameAs(memory).isInstanceOf(PrincipalIndexedStore.class);
        assertThat(sealed.toString()).startsWith("sealed values of");
        sealed.close();
    }

    @Test
    void aKeysetThatIsNotOne_stopsTheNode_namingTheVariable() {
        MemorySessionStore memory = MemorySessionStore.builder().build();
        assertThatThrownBy(() -> StoreOption.sealedAtRest(memory, Map.of(SealedAttributes.KEYSET_VARIABLE, "hunter2")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(SealedAttributes.KEYSET_VARIABLE)
                .hasMessageNotContaining("hunter2");
    }
}
