package org.parasol.drivers.backend;

import java.util.List;
import java.util.function.Consumer;

/**
 * What a back end needs of the store, synchronously: in dom0 the store is in the same domain
 * (its xenstored), so reads and writes are calls, not ring messages. Paths are absolute.
 * Watch callbacks run later on the domain's run loop, never inside the store operation that
 * fired them, so they may read and write the store.
 */
public interface BackendStore {
    /** The value at {@code path}, or null when there is no such node. */
    String read(String path);

    /** The children of {@code path}, empty when there is no such node. */
    List<String> directory(String path);

    /**
     * Writes {@code value} at {@code path}.
     *
     * @throws IllegalStateException with the store's error when it refuses
     */
    void write(String path, String value);

    /** Watches {@code path} and below; {@code changed} gets the path that changed. Returns the unwatch. */
    Runnable watch(String path, Consumer<String> changed);
}
