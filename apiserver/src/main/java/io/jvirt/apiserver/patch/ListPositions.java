package io.jvirt.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * First positions of items in a list, by merge key value (or by value for primitives when the merge key is empty),
 * under JSON equality. Hashed because kube's linear scans make merging long lists quadratic.
 */
final class ListPositions {
    private final Map<Key, Integer> first = new HashMap<>();
    private final String mergeKey;

    ListPositions(List<? extends JsonNode> items, String mergeKey) {
        this.mergeKey = mergeKey;
        for (int i = 0; i < items.size(); i++) {
            add(items.get(i), i);
        }
    }

    /** Records a position unless the key is already known; true when it was new. */
    boolean add(JsonNode item, int index) {
        return first.putIfAbsent(key(item), index) == null;
    }

    /** The first position of the item's key, or -1. */
    int of(JsonNode item) {
        return first.getOrDefault(key(item), -1);
    }

    private Key key(JsonNode item) {
        return new Key(mergeKey.isEmpty() ? item : item.get(mergeKey));
    }

    private record Key(JsonNode node) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key other && JsonValues.equal(node, other.node);
        }

        @Override
        public int hashCode() {
            return JsonValues.hash(node);
        }
    }
}
