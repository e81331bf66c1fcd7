package io.jvirt.launcher.storage;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A streaming reader of tar archives as image layers use them: POSIX ustar, pax extended headers ({@code path},
 * {@code linkpath}, {@code size}) and GNU long names ({@code L}/{@code K}), sizes in octal or GNU base-256. Nothing is
 * buffered beyond one header: an entry's data is read from {@link #content()} or skipped by the next {@link #next()}.
 *
 * <p>Sparse entries (GNU type {@code S}, pax {@code GNU.sparse.*}) are reported with {@link Entry#sparse()} set
 * rather than expanded; their data is not the file's content.
 */
final class TarReader {

    static final int BLOCK = 512;

    /** Entry types (tar {@code typeflag}). */
    static final char REGULAR = '0';
    static final char HARDLINK = '1';
    static final char SYMLINK = '2';
    static final char DIRECTORY = '5';

    /**
     * One archive member.
     *
     * @param name     path as stored (not normalized)
     * @param type     typeflag; {@code '\0'} and {@code '7'} (contiguous) are reported as {@link #REGULAR}
     * @param size     data size in bytes
     * @param linkName target of a hard or symbolic link, else ""
     * @param sparse   a GNU sparse file whose data is a sparse map plus fragments, not the file itself
     */
    record Entry(String name, char type, long size, String linkName, boolean sparse) {
        boolean regular() {
            return type == REGULAR;
        }
    }

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    private long remaining;   // data bytes of the current entry not yet read
    private long padding;     // bytes after the data up to the next block boundary
    private boolean ended;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive (two zero blocks, or the end of the stream). */
    Entry next() throws IOException {
        if (ended) {
            return null;
        }
        skipFully(remaining + padding);
        remaining = 0;
        padding = 0;
        Map<String, String> pax = new HashMap<>();
        String longName = null;
        String longLink = null;
        while (true) {
            if (!readHeader()) {
                ended = true;
                return null;
            }
            char type = (char) header[156];
            long size = parseNumber(header, 124, 12);
            if (size < 0) {
                throw new IOException("corrupt tar header: negative size");
            }
            switch (type) {
                case 'x' -> {
                    pax.putAll(parsePax(readData(size)));
                    continue;
                }
                case 'g' -> {
                    readData(size); // global pax header: nothing in it matters for extraction
                    continue;
                }
                case 'L' -> {
                    longName = cString(readData(size));
                    continue;
                }
                case 'K' -> {
                    longLink = cString(readData(size));
                    continue;
                }
                default -> {
                }
            }
            String name = field(header, 0, 100);
            String magic = new String(header, 257, 6, StandardCharsets.US_ASCII);
            if (magic.equals("ustar\0")) {
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
            String link = field(header, 157, 100);
            if (longName != null) {
                name = longName;
            }
            if (longLink != null) {
                link = longLink;
            }
            boolean sparse = type == 'S';
            for (Map.Entry<String, String> e : pax.entrySet()) {
                switch (e.getKey()) {
                    case "path" -> name = e.getValue();
                    case "linkpath" -> link = e.getValue();
                    case "size" -> {
                        try {
                            size = Long.parseLong(e.getValue().strip());
                        } catch (NumberFormatException ex) {
                            throw new IOException("corrupt pax header: size '" + e.getValue() + "'");
                        }
                    }
                    default -> sparse |= e.getKey().startsWith("GNU.sparse.");
                }
            }
            if (type == '\0' || type == '7') {
                type = REGULAR;
            }
            boolean hasData = type == REGULAR || sparse || !(type == HARDLINK || type == SYMLINK
                    || type == DIRECTORY || type == '3' || type == '4' || type == '6');
            remaining = hasData ? size : 0;
            padding = hasData ? pad(size) : 0;
            return new Entry(name, type, size, link, sparse);
        }
    }

    /** The data of the entry last returned by {@link #next()}; valid until the next call of {@code next()}. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int b = in.read();
                if (b < 0) {
                    throw new EOFException("tar archive ends inside an entry");
                }
                remaining--;
                return b;
            }

            @Override
            public int read(byte[] buf, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(buf, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new EOFException("tar archive ends inside an entry");
                }
                remaining -= n;
                return n;
            }
        };
    }

    // ----------------------------------------------------------------------------------------------- internals

    /** Reads one header block; false at the end of the archive. */
    private boolean readHeader() throws IOException {
        int n = in.readNBytes(header, 0, BLOCK);
        if (n == 0) {
            return false; // no end-of-archive blocks: tolerated, as GNU tar does
        }
        if (n < BLOCK) {
            throw new EOFException("tar archive ends inside a header");
        }
        if (allZero(header)) {
            return false; // first of the two zero blocks; the caller drains the rest of the stream
        }
        long stored;
        try {
            stored = parseNumber(header, 148, 8);
        } catch (IOException e) {
            throw new IOException("not a tar archive (no valid header checksum)", e);
        }
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xff);
        }
        if (sum != stored) {
            throw new IOException("not a tar archive (header checksum mismatch)");
        }
        return true;
    }

    private byte[] readData(long size) throws IOException {
        if (size > 16L << 20) {
            throw new IOException("tar extended header of " + size + " bytes is too large");
        }
        byte[] data = in.readNBytes((int) size);
        if (data.length < size) {
            throw new EOFException("tar archive ends inside an extended header");
        }
        skipFully(pad(size));
        return data;
    }

    private void skipFully(long n) throws IOException {
        long left = n;
        while (left > 0) {
            long s = in.skip(left);
            if (s <= 0) {
                if (in.read() < 0) {
                    throw new EOFException("tar archive ends inside an entry");
                }
                s = 1;
            }
            left -= s;
        }
    }

    private static long pad(long size) {
        long r = size % BLOCK;
        return r == 0 ? 0 : BLOCK - r;
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    /** A NUL-terminated (or full-width) text field. */
    private static String field(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static String cString(byte[] b) {
        int end = 0;
        while (end < b.length && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.UTF_8);
    }

    /** An octal number (NUL/space padded) or, with the high bit of the first byte set, GNU base-256. */
    static long parseNumber(byte[] h, int off, int len) throws IOException {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            if ((h[off] & 0x40) != 0) {
                throw new IOException("corrupt tar header: negative base-256 number");
            }
            for (int i = off + 1; i < off + len; i++) {
                if (v > (Long.MAX_VALUE >> 8)) {
                    throw new IOException("corrupt tar header: number too large");
                }
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        boolean digits = false;
        for (int i = off; i < off + len; i++) {
            int c = h[i];
            if (c == 0 || (c == ' ' && digits)) {
                break;
            }
            if (c == ' ') {
                continue;
            }
            if (c < '0' || c > '7') {
                throw new IOException("corrupt tar header: '" + (char) c + "' in an octal field");
            }
            v = (v << 3) + (c - '0');
            digits = true;
        }
        return v;
    }

    /** pax records: {@code "<length> <key>=<value>\n"}, the length counting the whole record. */
    static Map<String, String> parsePax(byte[] data) throws IOException {
        Map<String, String> out = new HashMap<>();
        int pos = 0;
        while (pos < data.length) {
            if (data[pos] == 0) {
                break;
            }
            int sp = pos;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, pos, sp - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new IOException("corrupt pax header: bad record length");
            }
            if (len <= sp - pos || pos + len > data.length) {
                throw new IOException("corrupt pax header: record overruns the header");
            }
            String record = new String(data, sp + 1, pos + len - sp - 2, StandardCharsets.UTF_8);
            int eq = record.indexOf('=');
            if (eq > 0) {
                out.put(record.substring(0, eq), record.substring(eq + 1));
            }
            pos += len;
        }
        return out;
    }
}
