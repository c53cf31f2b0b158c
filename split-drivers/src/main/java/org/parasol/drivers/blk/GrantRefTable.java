package org.parasol.drivers.blk;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A map from grant reference to a value with a fixed capacity, for blkback's persistent grants:
 * open addressing with linear probing over primitive keys, so a lookup on the data path neither
 * boxes the reference nor allocates (a {@code HashMap<Integer, ...>} did both for references
 * above 127). Entries are only added, and all removed together ({@link #clear}), as persistent
 * grants live until the connection ends (Linux's blkback keeps them in a tree per ring until the
 * ring goes, or a purge it does not need here with a budget of {@link BlkBack.Features#maxPersistentGrants}).
 *
 * <p>Not thread-safe: one vCPU owns it.
 *
 * @param <V> the value type
 */
final class GrantRefTable<V> {
    private final int limit;
    private final int mask;
    private final int[] keys;
    private final Object[] values;
    private int size;

    /** A table that holds at most {@code limit} entries (the table is at least twice as large). */
    GrantRefTable(int limit) {
        if (limit < 0 || limit > 1 << 20) {
            throw new IllegalArgumentException("limit " + limit);
        }
        this.limit = limit;
        int cap = Integer.highestOneBit(Math.max(2, limit) * 2 - 1) << 1;
        this.mask = cap - 1;
        this.keys = new int[cap];
        this.values = new Object[cap];
    }

    private int slot(int key) {
        int h = key * 0x9E37_79B9;
        return (h ^ h >>> 16) & mask;
    }

    /** The value for {@code key}, or null. */
    @SuppressWarnings("unchecked")
    V get(int key) {
        for (int i = slot(key);; i = i + 1 & mask) {
            Object v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == key) {
                return (V) v;
            }
        }
    }

    /**
     * Adds {@code key} with {@code value} (not null), or replaces its value.
     *
     * @throws IllegalStateException when the table already holds {@link #limit} other keys
     */
    void put(int key, V value) {
        if (value == null) {
            throw new NullPointerException("value");
        }
        for (int i = slot(key);; i = i + 1 & mask) {
            if (values[i] == null) {
                if (size >= limit) {
                    throw new IllegalStateException("full: " + limit + " entries");
                }
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
        }
    }

    int size() {
        return size;
    }

    /** The most entries it holds. */
    int limit() {
        return limit;
    }

    boolean full() {
        return size >= limit;
    }

    /** Each value, in no particular order. */
    @SuppressWarnings("unchecked")
    void forEach(Consumer<? super V> action) {
        for (Object v : values) {
            if (v != null) {
                action.accept((V) v);
            }
        }
    }

    void clear() {
        Arrays.fill(values, null);
        size = 0;
    }
}
