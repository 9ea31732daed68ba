package services_test

import "testing"

func TestBlogGetParents(t *testing.T) {
	b := blogURL(t)
	child := 880100 + seq.Add(1)
	for _, parent := range []int{880601, 880602} {
		wantStatus(t, action(t, b, "attach-child", map[string]any{"parent-type": "page", "parent-id": parent,
			"child-type": "market", "child-id": child}), 200)
	}
	wantStatus(t, action(t, b, "attach-child", map[string]any{"parent-type": "post", "parent-id": 880603,
		"child-type": "market", "child-id": child}), 200)
	rows := wantArr(t, query(t, b, "get-parents", "child-type=market&child-id="+itoa(child)+"&parent-type=page"))
	if len(rows) != 2 || num(t, rows[0].(map[string]any)["parent_id"]) != 880601 ||
		num(t, rows[1].(map[string]any)["parent_id"]) != 880602 {
		t.Fatalf("parents of a market: %v", rows)
	}
	if all := wantArr(t, query(t, b, "get-parents", "child-type=market&child-id="+itoa(child))); len(all) != 3 {
		t.Fatalf("every parent type: %v", all)
	}
	wantStatus(t, action(t, b, "detach-child", map[string]any{"parent-type": "page", "parent-id": 880601,
		"child-type": "market", "child-id": child}), 200)
	if rows := wantArr(t, query(t, b, "get-parents", "child-type=market&child-id="+itoa(child)+"&parent-type=page")); len(rows) != 1 {
		t.Fatalf("after detaching: %v", rows)
	}
	wantBadParam(t, query(t, b, "get-parents", "child-type=market&child-id=0"), "child-id")
	wantBadParam(t, query(t, b, "get-parents", "child-type=%20&child-id=1"), "child-type")
}
