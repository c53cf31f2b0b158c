/**
 * The ext4info example's host-independent half: {@link org.parasol.examples.ext4info.Ext4Superblock}
 * decodes the superblock of a disk image made on the host by {@code mkfs.ext4 -L parasol}, which
 * the ext4info image reads through blkfront (sectors 2 and 3) and prints; a test compares the
 * decoder with {@code dumpe2fs -h} of images the real e2fsprogs wrote.
 */
package org.parasol.examples.ext4info;
