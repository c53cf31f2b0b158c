package org.parasol.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Executable;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.parasol.guest.event.EventDispatcher;
import org.parasol.guest.event.PortHandler;
import org.parasol.guest.grant.GrantMapper;
import org.parasol.guest.grant.GrantMapping;
import org.parasol.guest.grant.GrantTable;
import org.parasol.guest.grant.GrantedPage;
import org.parasol.guest.kernel.Kernel;
import org.parasol.guest.kernel.SecondaryVcpu;
import org.parasol.hypercall.guest.EventChannelCalls;
import org.parasol.hypercall.guest.GrantTableCalls;
import org.parasol.hypercall.guest.SchedOpCalls;

/**
 * The guest API speaks in typed handles: no public method or constructor a kernel calls takes
 * a port, a grant reference or a VIRQ as a bare number (the classes are compiled with
 * {@code -parameters}, so the names are there to read). Raw numbers stay inside flyweights and
 * the register-shaped results of hypercall-api's wrappers.
 */
class TypedHandlesApiTest {
    /** Parameter names that mean a port, a grant reference or a VIRQ. */
    private static final Pattern HANDLE = Pattern.compile("(?i).*(port|gref|grantref|^ref|virq)$");
    private static final Set<Class<?>> NUMBERS = Set.of(int.class, long.class, short.class, Integer.class, Long.class);

    private static final List<Class<?>> GUEST_API = List.of(EventDispatcher.class, EventDispatcher.BoundPort.class,
            PortHandler.class, GrantTable.class, GrantedPage.class, GrantMapper.class, GrantMapping.class, Kernel.class,
            SecondaryVcpu.class, EventChannelCalls.class, EventChannelCalls.ChannelStatus.class, GrantTableCalls.class,
            SchedOpCalls.class);

    /** Every public method or constructor of {@code type} with a handle passed as a number. */
    static List<String> bareHandles(Class<?> type) {
        List<String> found = new ArrayList<>();
        for (Executable e : Stream.concat(Stream.of(type.getDeclaredMethods()), Stream.of(type.getDeclaredConstructors()))
                .toList()) {
            if (!Modifier.isPublic(e.getModifiers()) || e.isSynthetic()) {
                continue;
            }
            for (Parameter p : e.getParameters()) {
                assertThat(p.isNamePresent()).as("compiled with -parameters: %s", e).isTrue();
                if (NUMBERS.contains(p.getType()) && HANDLE.matcher(p.getName()).matches()) {
                    found.add(type.getSimpleName() + "." + e.getName() + "(" + p.getType().getSimpleName() + " "
                            + p.getName() + ")");
                }
            }
        }
        return found;
    }

    @Test
    @DisplayName("Ports, grant references and VIRQs cross the guest API as Port, GrantRef and Virq")
    void shouldTakeNoBareHandle() {
        List<String> found = new ArrayList<>();
        for (Class<?> c : GUEST_API) {
            found.addAll(bareHandles(c));
        }
        assertThat(found).isEmpty();
    }

    /** What the rule refuses. */
    public static final class Untyped {
        public void mask(int port) {
        }

        public void bind(int virq, int vcpu) {
        }

        public void end(long gref) {
        }

        public void spin(int times) {
        }
    }

    @Test
    @DisplayName("The rule is not vacuous: a method taking int port, int virq or long gref breaks it")
    void shouldCatchABareHandle() {
        assertThat(bareHandles(Untyped.class)).containsExactlyInAnyOrder("Untyped.mask(int port)",
                "Untyped.bind(int virq)", "Untyped.end(long gref)");
    }
}
