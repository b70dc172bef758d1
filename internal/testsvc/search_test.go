package testsvc

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// TestSearchBulkAndSearch indexes documents with _bulk and finds them with
// _search, _doc and _cat, the endpoints the Elasticsearch sink uses.
func TestSearchBulkAndSearch(t *testing.T) {
	url := Search(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := opensearchapi.NewClient(opensearchapi.Config{Client: opensearch.Config{Addresses: []string{url}}})
	if err != nil {
		t.Fatal(err)
	}
	index := fmt.Sprintf("smoke-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		_, _ = cl.Indices.Delete(context.Background(), opensearchapi.IndicesDeleteReq{Indices: []string{index}})
	})

	const n = 50
	var body strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&body, `{"index":{"_index":%q,"_id":"%d"}}`+"\n", index, i)
		fmt.Fprintf(&body, `{"n":%d,"item":"widget %d"}`+"\n", i, i)
	}
	bulk, err := cl.Bulk(ctx, opensearchapi.BulkReq{
		Body:   strings.NewReader(body.String()),
		Params: opensearchapi.BulkParams{Refresh: "true"},
	})
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if bulk.Errors || len(bulk.Items) != n {
		t.Fatalf("bulk: errors=%v items=%d", bulk.Errors, len(bulk.Items))
	}

	res, err := cl.Search(ctx, &opensearchapi.SearchReq{
		Indices: []string{index},
		Body:    strings.NewReader(`{"query":{"match":{"item":"widget"}},"size":100}`),
	})
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if res.Hits.Total.Value != n || len(res.Hits.Hits) != n {
		t.Fatalf("search found %d (%d hits), want %d", res.Hits.Total.Value, len(res.Hits.Hits), n)
	}

	doc, err := cl.Document.Get(ctx, opensearchapi.DocumentGetReq{Index: index, DocumentID: "7"})
	if err != nil {
		t.Fatalf("get _doc/7: %v", err)
	}
	if !doc.Found || !strings.Contains(string(doc.Source), `"widget 7"`) {
		t.Fatalf("_doc/7 = found %v, source %s", doc.Found, doc.Source)
	}

	cat, err := cl.Cat.Indices(ctx, &opensearchapi.CatIndicesReq{Indices: []string{index}})
	if err != nil {
		t.Fatalf("_cat/indices: %v", err)
	}
	if len(cat.Indices) != 1 || cat.Indices[0].Index != index || cat.Indices[0].DocsCount == nil || *cat.Indices[0].DocsCount != n {
		t.Fatalf("_cat/indices = %+v", cat.Indices)
	}
}
