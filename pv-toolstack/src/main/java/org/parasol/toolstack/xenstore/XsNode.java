package org.parasol.toolstack.xenstore;

import java.util.TreeSet;

/**
 * One node of the store: its value (raw bytes), its permissions, the names of its children
 * and its generation, the store-wide change count at which it last changed (value,
 * permissions or children). Transactions work on copies and compare generations at commit.
 */
final class XsNode {
    byte[] value;
    XsPerms perms;
    final TreeSet<String> children;
    long generation;

    XsNode(byte[] value, XsPerms perms) {
        this(value, perms, new TreeSet<>(), 0);
    }

    private XsNode(byte[] value, XsPerms perms, TreeSet<String> children, long generation) {
        this.value = value;
        this.perms = perms;
        this.children = children;
        this.generation = generation;
    }

    XsNode copy() {
        return new XsNode(value, perms, new TreeSet<>(children), generation);
    }

    /** Bytes the node takes, as its size quota counts them: value, permissions, child names. */
    int size() {
        int n = value.length + perms.bytes();
        for (String c : children) {
            n += c.length() + 1;
        }
        return n;
    }
}
