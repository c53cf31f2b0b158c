/** The kernel console: line-buffered output through {@code console_io}, flushed at shutdown. */
package org.parasol.guest.console;
