package io.slmserve.adapters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A safetensors file read whole: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the raw little-endian data. Hand-written (about 80 lines) because no Java library on
 * Maven Central reads the format without an engine, and the adapters package must not import DJL; only float32
 * tensors are decoded (converted adapters are float32 by contract).
 */
final class SafetensorsFile {

    /** One tensor's header entry. */
    record Entry(String dtype, long[] shape, long begin, long end) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_BYTES = 1L << 30;

    private final Map<String, Entry> entries;
    private final ByteBuffer data;

    private SafetensorsFile(Map<String, Entry> entries, ByteBuffer data) {
        this.entries = entries;
        this.data = data;
    }

    static SafetensorsFile read(Path file) throws IOException {
        long size = Files.size(file);
        if (size < 8 || size > MAX_BYTES) {
            throw new IOException(file.getFileName() + " has " + size + " bytes: not a safetensors file this server "
                    + "reads (8 bytes to 1 GiB)");
        }
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = all.getLong(0);
        if (headerLength <= 0 || headerLength > size - 8) {
            throw new IOException(file.getFileName() + ": bad safetensors header length " + headerLength);
        }
        JsonNode header = JSON.readTree(new String(all.array(), 8, (int) headerLength, StandardCharsets.UTF_8));
        Map<String, Entry> entries = new LinkedHashMap<>();
        long dataBytes = size - 8 - headerLength;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals("__metadata__")) {
                continue;
            }
            JsonNode node = field.getValue();
            JsonNode shapeNode = node.path("shape");
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong();
            }
            long begin = node.path("data_offsets").path(0).asLong(-1);
            long end = node.path("data_offsets").path(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataBytes) {
                throw new IOException(file.getFileName() + ": tensor '" + field.getKey() + "' has data offsets outside "
                        + "the file");
            }
            entries.put(field.getKey(), new Entry(node.path("dtype").asText(), shape, begin, end));
        }
        ByteBuffer data = all.position((int) (8 + headerLength)).slice().order(ByteOrder.LITTLE_ENDIAN);
        return new SafetensorsFile(entries, data);
    }

    Map<String, Entry> entries() {
        return entries;
    }

    /** A float32 tensor's values, row-major. */
    float[] floats(String name) throws IOException {
        Entry e = entries.get(name);
        if (!"F32".equals(e.dtype())) {
            throw new IOException("tensor '" + name + "' is " + e.dtype() + "; converted adapters hold F32");
        }
        long count = 1;
        for (long d : e.shape()) {
            count *= d;
        }
        if (count * Float.BYTES != e.end() - e.begin()) {
            throw new IOException("tensor '" + name + "' holds " + (e.end() - e.begin()) + " bytes, not the "
                    + count * Float.BYTES + " its shape needs");
        }
        float[] out = new float[(int) count];
        data.slice((int) e.begin(), (int) (e.end() - e.begin())).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
