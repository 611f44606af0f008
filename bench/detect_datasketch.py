"""Peer: datasketch MinHash-LSH on a corpus (JSON Lines with id and text).

5-word shingles of the lower-cased whitespace tokens, 128 permutations, threshold 0.5; clusters
are the connected components of the LSH neighbour graph (no verification), as PEERS.md measured.
Writes id,cluster CSV and prints one JSON line: documents, seconds (reading excluded), docs/s.

usage: python detect_datasketch.py CORPUS.jsonl OUT.csv
"""
import csv
import json
import sys
import time

from datasketch import MinHash, MinHashLSH


def shingles(text, w=5):
    toks = text.lower().split()
    if len(toks) < w:
        return {" ".join(toks)} if toks else set()
    return {" ".join(toks[i:i + w]) for i in range(len(toks) - w + 1)}


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    docs = [json.loads(line) for line in open(corpus, encoding="utf-8") if line.strip()]
    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    sigs = []
    for i, d in enumerate(docs):
        m = MinHash(num_perm=128)
        m.update_batch([s.encode("utf-8") for s in shingles(d["text"])])
        sigs.append(m)
        lsh.insert(str(i), m)
    parent = list(range(len(docs)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(sigs):
        for j in lsh.query(m):
            a, b = find(i), find(int(j))
            if a != b:
                parent[a] = b
    labels = [find(i) for i in range(len(docs))]
    seconds = time.perf_counter() - started
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "cluster"])
        for d, l in zip(docs, labels):
            w.writerow([d["id"], l])
    print(json.dumps({"documents": len(docs), "seconds": seconds, "documents_per_second": len(docs) / seconds}))


if __name__ == "__main__":
    main()
