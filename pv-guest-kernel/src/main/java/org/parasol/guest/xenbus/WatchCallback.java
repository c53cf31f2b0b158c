package org.parasol.guest.xenbus;

/**
 * What runs when a watch fires: Mini-OS's watch handler. Called as a task on the run loop,
 * once when the watch is registered and then for every change at or below the watched path;
 * xenstored may also fire spuriously, so a callback re-reads what it cares about.
 */
@FunctionalInterface
public interface WatchCallback {
    /** Something at or below the watch's path changed; {@code path} is where (as xenstored reports it). */
    void fired(String path);
}
