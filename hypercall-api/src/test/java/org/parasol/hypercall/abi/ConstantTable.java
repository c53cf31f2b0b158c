package org.parasol.hypercall.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test support: compares every {@code public static final} primitive or String constant of a
 * class with a table of expected literals, so a wrong value, a missing constant and an
 * unexpected extra constant all fail.
 */
final class ConstantTable {
    private ConstantTable() {
    }

    /** {@code pairs} is name, value, name, value, ...; values as the field's boxed type. */
    static void assertExactly(Class<?> type, Object... pairs) {
        assertThat(pairs.length % 2).as("pairs must be name/value").isZero();
        Map<String, Object> expected = new TreeMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            Object previous = expected.put((String) pairs[i], pairs[i + 1]);
            assertThat(previous).as("duplicate expected name %s", pairs[i]).isNull();
        }
        assertThat(constantsOf(type)).as("constants of %s", type.getSimpleName())
                .containsExactlyInAnyOrderEntriesOf(expected);
    }

    /** The public static final constants of {@code type} by name. */
    static Map<String, Object> constantsOf(Class<?> type) {
        Map<String, Object> actual = new LinkedHashMap<>();
        for (Field f : type.getDeclaredFields()) {
            int m = f.getModifiers();
            boolean constant = Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m)
                    && (f.getType().isPrimitive() || f.getType() == String.class);
            if (constant) {
                try {
                    actual.put(f.getName(), f.get(null));
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return actual;
    }
}
