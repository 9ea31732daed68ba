package sitetest_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The social pages of federation (services/federation/social.sx) on the
// seed: Ada (admin) and Ben have usernames and follow each other, Ada follows
// Mira on fedi.example, Mira and Tomás follow Ada, Ben liked and boosted
// Ada's notes; Cleo has no username yet. Tests that change anything use
// members of their own (socialMember).

// socialMember is a new member who claimed username slug.
func socialMember(t *testing.T, slug string) *visitor {
	t.Helper()
	v := newMember(t, slug)
	r := v.post(t, "federation", "/identity/choose-username", url.Values{"username": {slug}, "display_name": {"Test " + slug}})
	if r.Status != 303 {
		t.Fatalf("claiming %s: %d\n%s", slug, r.Status, clip(r.Body))
	}
	return v
}

// noteObject is the object id of the newest note of a member.
func noteObject(t *testing.T, username string) string {
	t.Helper()
	return scalar[string](t, `select p.object_id from ap_local_posts p join ap_actor_profiles a on a.id = p.actor_profile_id
		where a.preferred_username = $1 order by p.id desc limit 1`, username)
}

func seedNote(t *testing.T, who string, n int) string {
	t.Helper()
	return fmt.Sprintf("https://coop.example/social/%s/notes/%d", who, n)
}

// location is a redirect's target on federation, as a path.
func location(r page) string {
	return strings.TrimPrefix(r.Header.Get("Location"), urls["federation"])
}

// redirectsToLogin fails unless r sends an anonymous visitor to sign in.
func redirectsToLogin(t *testing.T, what string, r page) {
	t.Helper()
	if (r.Status != 302 && r.Status != 303) || !strings.Contains(r.Header.Get("Location"), "/auth/login") {
		t.Fatalf("%s: %d to %q, want a redirect to /auth/login", what, r.Status, r.Header.Get("Location"))
	}
}

func TestSocialTimelineAnonymous(t *testing.T) {
	t.Parallel()
	r := anon.get(t, "federation", "/social/").want(t, "anonymous timeline", 200,
		"<title>The co-op's timeline · ", "<h1>The co-op's timeline</h1>",
		`<nav class="social-nav filter-bar" aria-label="Social">`, "Sign in</a> to write notes",
		"The rye is out of the oven.", "First broad beans are up", `href="/social/ada/notes/1"`,
		`<a class="note-author" href="/social/ada/">Ada at the co-op</a>`, `<span class="note-handle">@ben</span>`,
		// counts, no buttons: Mira and Ben like the rye note
		`<p class="meta note-counts">2 likes · 0 boosts</p>`, `<meta property="og:title"`)
	r.lacks(t, "anonymous timeline", "spare pumpkin seedlings", // Ben's followers-only note
		"Frost last night", // remote posts are not on the co-op timeline
		`action="/social/like"`, `action="/social/compose"`, `href="/social/notifications"`)
}

func TestSocialTimelineMembers(t *testing.T) {
	t.Parallel()
	// Ada (administrator): her notes, Ben's (she follows him, so his
	// followers-only note too), Mira's (an accepted remote follow), not Tomás'.
	ada := as("ada").get(t, "federation", "/social/").want(t, "ada's timeline", 200,
		"<h1>Your timeline</h1>", `aria-current="page">Home</a>`, `action="/social/compose"`,
		"The rye is out of the oven.", "spare pumpkin seedlings", "Frost last night", "rhubarb crowns",
		`<span class="note-handle">@mira@fedi.example</span>`, `href="https://fedi.example/users/mira"`,
		`action="/social/like"`, `action="/social/boost"`, `href="/social/notifications"`,
		`<span class="status">Followers only</span>`, "Edit your profile", "Boosted by Ben Grower")
	ada.lacks(t, "ada's timeline", "36-hour rye starter")
	// Ben: his boost of Mira's note brings it to his timeline, marked.
	ben := as("ben").get(t, "federation", "/social/").want(t, "ben's timeline", 200,
		"<h1>Your timeline</h1>", "rhubarb crowns", "You boosted this", "The rye is out of the oven.")
	// Ben liked the rye note: its like button is pressed, with the count.
	acts := regexp.MustCompile(`(?s)<div class="note-actions" id="acts-l1">.*?</div>`).FindString(ben.Body)
	if !strings.Contains(acts, `class="note-action note-like" aria-pressed="true"`) || !strings.Contains(acts, `<span class="note-action-count">2`) {
		t.Fatalf("ben's like of the rye note: %s", acts)
	}
	ben.lacks(t, "ben's timeline", "Frost last night") // Ben does not follow Mira
	// The co-op tab: public notes only.
	as("ben").get(t, "federation", "/social/?tab=local").want(t, "co-op tab", 200,
		"<h1>The co-op's timeline</h1>", `aria-current="page">Co-op</a>`, "The rye is out of the oven.").
		lacks(t, "co-op tab", "rhubarb crowns", "spare pumpkin seedlings")
	// Cleo has no username: the co-op timeline and a way to choose one.
	as("cleo").get(t, "federation", "/social/").want(t, "cleo's timeline", 200,
		"<h1>The co-op's timeline</h1>", `href="/identity/choose-username?next=/social/"`).
		lacks(t, "cleo's timeline", `action="/social/like"`)
}

func TestSocialInfiniteScroll(t *testing.T) {
	t.Parallel()
	v := socialMember(t, "scroller")
	// Unlisted: on the profile, not on the co-op timeline other tests read.
	for i := 1; i <= 25; i++ {
		if r := v.post(t, "federation", "/social/compose", url.Values{"content": {fmt.Sprintf("Scroll note %02d", i)}, "visibility": {"unlisted"}}); r.Status != 303 {
			t.Fatalf("compose %d: %d", i, r.Status)
		}
	}
	first := v.get(t, "federation", "/social/scroller/").want(t, "profile page 1", 200, "Scroll note 25", "Scroll note 06",
		`id="more-notes"`, `sx-trigger="revealed"`, `href="/social/scroller/?page=2"`)
	first.lacks(t, "profile page 1", "Scroll note 05")
	// The runtime asks for the sentinel's page: list items and no layout.
	next := v.get(t, "federation", "/social/scroller/?page=2", "SX-Request", "true", "SX-Target", "more-notes").
		want(t, "profile page 2 (runtime)", 200, "Scroll note 05", "Scroll note 01")
	next.lacks(t, "profile page 2 (runtime)", "<html", "<h1", "Scroll note 06", `id="more-notes"`)
	// Without the runtime page 2 is a page.
	v.get(t, "federation", "/social/scroller/?page=2").want(t, "profile page 2", 200, "<h1>Test scroller</h1>", "Scroll note 01")
}

func TestSocialCompose(t *testing.T) {
	t.Parallel()
	redirectsToLogin(t, "anonymous compose", anon.get(t, "federation", "/social/compose"))
	if r := anon.post(t, "federation", "/social/compose", url.Values{"content": {"hi"}}); r.Status != 401 && r.Status != 403 {
		t.Fatalf("anonymous post: %d", r.Status)
	}
	// A member without a username is asked to choose one first.
	if r := as("cleo").get(t, "federation", "/social/compose"); r.Status != 303 || !strings.Contains(r.Header.Get("Location"), "/identity/choose-username?next=") {
		t.Fatalf("cleo's compose: %d %s", r.Status, r.Header.Get("Location"))
	}
	v := socialMember(t, "writer")
	v.get(t, "federation", "/social/compose").want(t, "compose page", 200, "<h1>Write a note</h1>", "Posting as @writer",
		`<label for="compose-content">`, `name="csrf_token"`, `<option value="followers">Followers only</option>`,
		`<meta name="robots" content="noindex">`)
	if r := v.do(t, "POST", "federation", "/social/compose", url.Values{"content": {"no token"}}); r.Status != 403 {
		t.Fatalf("compose without CSRF token: %d", r.Status)
	}
	v.post(t, "federation", "/social/compose", url.Values{"content": {"   "}}).want(t, "empty note", 400, "Write something first.", "<h1>Write a note</h1>")
	v.post(t, "federation", "/social/compose", url.Values{"content": {strings.Repeat("x", 501)}}).want(t, "long note", 400, "at most 500 characters")
	v.post(t, "federation", "/social/compose", url.Values{"content": {"x"}, "visibility": {"direct"}}).want(t, "bad visibility", 400, "Choose who can see the note.")
	// User text is escaped, paragraphs and line breaks kept.
	r := v.post(t, "federation", "/social/compose", url.Values{"content": {"<script>alert(1)</script> & \"bread\"\nline two\n\nsecond para"},
		"summary": {"<b>cw</b>"}})
	if r.Status != 303 || location(r) != "/social/" {
		t.Fatalf("compose: %d %s", r.Status, r.Header.Get("Location"))
	}
	home := v.get(t, "federation", "/social/").want(t, "the note on the timeline", 200,
		"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;bread&#34;<br>line two<br>", "second para</p>",
		"<summary>&lt;b&gt;cw&lt;/b&gt;</summary>")
	home.lacks(t, "the note on the timeline", "<script>alert(1)", "<b>cw</b>")
	// Its own page.
	oid := noteObject(t, "writer")
	path := "/social/writer/notes/" + oid[strings.LastIndex(oid, "/")+1:]
	anon.get(t, "federation", path).want(t, "note page", 200, `<h1 class="visually-hidden">A note by Test writer</h1>`,
		"&lt;script&gt;alert(1)&lt;/script&gt;", `<meta property="og:type" content="article">`)
	// A followers-only note is not shown to someone who does not follow.
	v.post(t, "federation", "/social/compose", url.Values{"content": {"Only my followers"}, "visibility": {"followers"}})
	oid = noteObject(t, "writer")
	path = "/social/writer/notes/" + oid[strings.LastIndex(oid, "/")+1:]
	anon.get(t, "federation", path).want(t, "followers-only note, anonymous", 404)
	v.get(t, "federation", path).want(t, "followers-only note, author", 200, "Only my followers")
	anon.get(t, "federation", "/social/writer/notes/nope").want(t, "unknown note", 404)
}

// What reaches other servers: a public note is a Create to the member's
// followers, a like of a remote post a Like to its author's inbox;
// unlisted and followers-only notes stay on the co-op.
func TestSocialFederates(t *testing.T) {
	t.Parallel()
	v := socialMember(t, "federated")
	v.post(t, "federation", "/social/compose", url.Values{"content": {"Hello, fediverse"}})
	v.post(t, "federation", "/social/compose", url.Values{"content": {"Just us"}, "visibility": {"followers"}})
	creates := scalar[string](t, `select string_agg(a.visibility, ',' order by a.id) from ap_activities a join ap_actor_profiles p on p.id = a.actor_profile_id
		where p.preferred_username = 'federated' and a.activity_type = 'Create'`)
	if creates != "public,followers" {
		t.Fatalf("Create activities' visibilities: %q, want public,followers", creates)
	}
	v.get(t, "federation", "/social/federated/").want(t, "both notes on the profile", 200, "Hello, fediverse", "Just us")
	v.post(t, "federation", "/social/like", url.Values{"object": {"https://bread.social/@tomas/statuses/7"}}, "SX-Request", "true").
		want(t, "like a remote post", 200, `class="note-action note-like" aria-pressed="true"`)
	likes := scalar[int](t, `select count(*) from ap_activities a join ap_actor_profiles p on p.id = a.actor_profile_id
		where p.preferred_username = 'federated' and a.activity_type = 'Like'`)
	if likes != 1 {
		t.Fatalf("Like activities: %d", likes)
	}
}

func TestSocialLikeAndBoost(t *testing.T) {
	t.Parallel()
	author := socialMember(t, "liked_author")
	author.post(t, "federation", "/social/compose", url.Values{"content": {"Please like me"}, "visibility": {"unlisted"}})
	obj := noteObject(t, "liked_author")
	fan := socialMember(t, "fan")
	likes := func() int {
		return scalar[int](t, `select count(*) from ap_interactions where object_id = $1 and interaction_type = 'like' and undone_at is null`, obj)
	}
	notices := func(kind string) int {
		return scalar[int](t, `select count(*) from ap_notifications n join ap_actor_profiles a on a.id = n.actor_profile_id
			where a.preferred_username = 'liked_author' and n.notification_type = $1 and n.object_id = $2`, kind, obj)
	}
	// Without JavaScript: a form post, then back to next.
	r := fan.post(t, "federation", "/social/like", url.Values{"object": {obj}, "on": {"true"}, "next": {"/social/liked_author/"}})
	if r.Status != 303 || location(r) != "/social/liked_author/" || likes() != 1 || notices("like") != 1 {
		t.Fatalf("like without JS: %d %s likes=%d notices=%d", r.Status, r.Header.Get("Location"), likes(), notices("like"))
	}
	// Twice is still one like.
	fan.post(t, "federation", "/social/like", url.Values{"object": {obj}, "on": {"true"}})
	if likes() != 1 {
		t.Fatalf("a second like counted: %d", likes())
	}
	// An outside next is not followed.
	for _, next := range []string{"//evil.example/", "/\t/evil.example/", "/\\evil.example/", "https://evil.example/"} {
		if r := fan.post(t, "federation", "/social/like", url.Values{"object": {obj}, "on": {"true"}, "next": {next}}); location(r) != "/social/" {
			t.Fatalf("next %q followed: %s", next, r.Header.Get("Location"))
		}
	}
	// With the runtime: the new action bar alone.
	id := scalar[int](t, `select id from ap_local_posts where object_id = $1`, obj)
	acts := fan.post(t, "federation", "/social/like", url.Values{"object": {obj}, "on": {"false"}}, "SX-Request", "true").
		want(t, "unlike with JS", 200, fmt.Sprintf(`id="acts-l%d"`, id), `class="note-action note-like" aria-pressed="false"`,
			`<span class="note-action-count">0`, `name="on" value="true"`)
	acts.lacks(t, "unlike with JS", "<html", "<h1")
	if likes() != 0 || notices("like") != 0 {
		t.Fatalf("after unlike: likes=%d notices=%d", likes(), notices("like"))
	}
	fan.post(t, "federation", "/social/boost", url.Values{"object": {obj}, "on": {"true"}}, "SX-Request", "true").
		want(t, "boost with JS", 200, `class="note-action note-boost" aria-pressed="true"`, `<span class="note-action-count">1`)
	if notices("boost") != 1 {
		t.Fatalf("boost notices: %d", notices("boost"))
	}
	// The boost brings the note to the fan's timeline, marked.
	fan.get(t, "federation", "/social/").want(t, "fan's timeline", 200, "Please like me", "You boosted this")
	// A remote post can be liked too (delivery is the activitypub module's).
	fan.post(t, "federation", "/social/like", url.Values{"object": {"https://bread.social/@tomas/statuses/7"}, "on": {"true"}}, "SX-Request", "true").
		want(t, "like a remote post", 200, `aria-pressed="true"`)
	// Errors.
	fan.post(t, "federation", "/social/like", url.Values{"object": {"https://nowhere.example/1"}}).want(t, "unknown post", 404)
	fan.post(t, "federation", "/social/like", url.Values{"object": {"not a uri"}}).want(t, "bad object", 400)
	fan.post(t, "federation", "/social/like", url.Values{}).want(t, "no object", 400)
	author.post(t, "federation", "/social/compose", url.Values{"content": {"Followers only"}, "visibility": {"followers"}})
	fan.post(t, "federation", "/social/like", url.Values{"object": {noteObject(t, "liked_author")}}).want(t, "like a followers-only post of someone not followed", 404)
	if r := anon.post(t, "federation", "/social/like", url.Values{"object": {obj}}); r.Status != 401 && r.Status != 403 {
		t.Fatalf("anonymous like: %d", r.Status)
	}
	if r := fan.do(t, "POST", "federation", "/social/like", url.Values{"object": {obj}}); r.Status != 403 {
		t.Fatalf("like without CSRF token: %d", r.Status)
	}
}

func TestSocialFollow(t *testing.T) {
	t.Parallel()
	a := socialMember(t, "follower_a")
	socialMember(t, "followed_b")
	following := func() bool {
		return scalar[bool](t, `select exists (select 1 from ap_local_follows f
			join ap_actor_profiles x on x.id = f.follower_profile_id join ap_actor_profiles y on y.id = f.followed_profile_id
			where x.preferred_username = 'follower_a' and y.preferred_username = 'followed_b')`)
	}
	a.get(t, "federation", "/social/followed_b/").want(t, "b's profile", 200, `action="/social/follow"`,
		`aria-label="Follow Test followed_b"`, `name="username" value="followed_b"`)
	// Without JavaScript.
	r := a.post(t, "federation", "/social/follow", url.Values{"username": {"followed_b"}, "next": {"/social/followed_b/"}})
	if r.Status != 303 || location(r) != "/social/followed_b/" || !following() {
		t.Fatalf("follow without JS: %d %s following=%v", r.Status, r.Header.Get("Location"), following())
	}
	a.get(t, "federation", "/social/followed_b/").want(t, "b's profile, followed", 200, `aria-label="Unfollow Test followed_b"`, ">Following<", "1 follower")
	a.get(t, "federation", "/social/followed_b/followers").want(t, "b's followers", 200, "Test follower_a", "@follower_a")
	a.get(t, "federation", "/social/follower_a/following").want(t, "a's following", 200, "Test followed_b")
	as("ada").get(t, "federation", "/social/followed_b/followers").want(t, "b's followers for ada", 200, `aria-label="Follow Test follower_a"`)
	n := scalar[int](t, `select count(*) from ap_notifications n join ap_actor_profiles a on a.id = n.actor_profile_id
		where a.preferred_username = 'followed_b' and n.notification_type = 'follow'`)
	if n != 1 {
		t.Fatalf("follow notices: %d", n)
	}
	// With the runtime: the new button.
	a.post(t, "federation", "/social/unfollow", url.Values{"username": {"followed_b"}}, "SX-Request", "true").
		want(t, "unfollow with JS", 200, `action="/social/follow"`, `aria-pressed="false"`, ">Follow<").lacks(t, "unfollow with JS", "<html")
	if following() {
		t.Fatal("still following after unfollow")
	}
	a.post(t, "federation", "/social/follow", url.Values{"username": {"followed_b"}}, "SX-Request", "true").
		want(t, "follow with JS", 200, `action="/social/unfollow"`, `aria-pressed="true"`)
	// A remote actor: the activitypub module fetches it afresh and sends a
	// Follow; a server that does not answer is a 502 and no follow.
	pending := func() int {
		return scalar[int](t, `select count(*) from ap_following f join ap_actor_profiles a on a.id = f.actor_profile_id
			where a.preferred_username = 'follower_a'`)
	}
	if r := a.post(t, "federation", "/social/follow", url.Values{"actor": {"https://bread.social/@tomas"}}, "SX-Request", "true"); r.Status != 502 || pending() != 0 {
		t.Fatalf("follow of an unreachable actor: %d, %d follows", r.Status, pending())
	}
	// A follow waiting for its Accept shows as requested, to its member only.
	exec(t, `insert into ap_following (actor_profile_id, remote_actor_id, follow_activity_id)
		select a.id, r.id, 'https://coop.example/users/follower_a#follows/t' from ap_actor_profiles a, ap_remote_actors r
		where a.preferred_username = 'follower_a' and r.actor_uri = 'https://bread.social/@tomas'`)
	a.get(t, "federation", "/social/search?q=tomas").want(t, "search with a pending follow", 200, ">Requested<",
		`name="actor" value="https://bread.social/@tomas"`)
	a.get(t, "federation", "/social/follower_a/following").want(t, "own following with a pending follow", 200, "Tomás the baker", ">Requested<")
	anon.get(t, "federation", "/social/follower_a/following").lacks(t, "pending follows are not public", "Tomás the baker")
	a.post(t, "federation", "/social/unfollow", url.Values{"actor": {"https://bread.social/@tomas"}}, "SX-Request", "true").
		want(t, "unfollow a remote actor", 200, ">Follow<")
	if pending() != 0 {
		t.Fatal("the follow is still there")
	}
	// …and its Undo goes to Tomás' inbox.
	if n := scalar[int](t, `select count(*) from ap_activities a join ap_actor_profiles p on p.id = a.actor_profile_id
		where p.preferred_username = 'follower_a' and a.activity_type = 'Undo'`); n != 1 {
		t.Fatalf("Undo activities: %d", n)
	}
	// Errors.
	a.post(t, "federation", "/social/follow", url.Values{"username": {"follower_a"}}).want(t, "follow oneself", 400, "yourself")
	a.post(t, "federation", "/social/follow", url.Values{"username": {"nobody_here"}}).want(t, "unknown member", 404)
	a.post(t, "federation", "/social/follow", url.Values{"actor": {"https://unknown.example/u"}}).want(t, "unknown actor", 404)
	a.post(t, "federation", "/social/follow", url.Values{}).want(t, "no one", 400)
	if r := anon.post(t, "federation", "/social/follow", url.Values{"username": {"ben"}}); r.Status != 401 && r.Status != 403 {
		t.Fatalf("anonymous follow: %d", r.Status)
	}
}

func TestSocialProfilesAndConnections(t *testing.T) {
	t.Parallel()
	for _, v := range []*visitor{anon, as("cleo"), as("ada")} {
		v.get(t, "federation", "/social/ada/").want(t, "ada's profile as "+v.who, 200,
			"<title>Ada at the co-op (@ada) · ", "<h1>Ada at the co-op</h1>",
			`<p class="note-handle">@ada</p>`, `<p class="lede">Baker and treasurer</p>`, "The rye is out of the oven.",
			"3 posts", "3 followers", "2 following", `"@type":"ProfilePage"`, `<meta property="og:type" content="profile">`)
	}
	as("ada").get(t, "federation", "/social/ada/").want(t, "own profile", 200, `href="/identity/profile"`, `aria-current="page">Profile</a>`)
	as("cleo").get(t, "federation", "/social/ada/").lacks(t, "cleo (no username) sees no follow button", `action="/social/follow"`)
	// Ben's followers-only note: to Ada (who follows him) and Ben, not to others.
	anon.get(t, "federation", "/social/ben/").want(t, "ben's profile", 200, "First broad beans").lacks(t, "ben's profile", "pumpkin seedlings")
	as("ada").get(t, "federation", "/social/ben/").want(t, "ben's profile for ada", 200, "pumpkin seedlings", `aria-label="Unfollow Ben Grower"`)
	anon.get(t, "federation", "/social/ada/followers").want(t, "ada's followers", 200,
		"Ben Grower", "Mira Okafor", "@mira@fedi.example", "Tomás the baker", "@tomas@bread.social", `aria-current="page">3 followers</a>`)
	anon.get(t, "federation", "/social/ada/following").want(t, "ada's following", 200, "Ben Grower", "Mira Okafor").
		lacks(t, "ada's following", "Tomás")
	anon.get(t, "federation", "/social/ADA/").want(t, "usernames are case-insensitive", 200, "<h1>Ada at the co-op</h1>")
	for _, p := range []string{"/social/nobody/", "/social/nobody/followers", "/social/nobody/following"} {
		anon.get(t, "federation", p).want(t, p, 404, "We could not find that page")
	}
}

func TestSocialSearch(t *testing.T) {
	t.Parallel()
	anon.get(t, "federation", "/social/search").want(t, "search page", 200, "<h1>Search</h1>",
		`<label for="social-q">`, `<form class="search-form" method="get" action="/social/search" role="search">`)
	anon.get(t, "federation", "/social/search?q=mira").want(t, "search mira", 200, "1 person found", "Mira Okafor",
		"@mira@fedi.example", "Allotment notes from across the valley.").lacks(t, "search mira", `action="/social/follow"`, "<p>Allotment")
	as("ada").get(t, "federation", "/social/search?q=@mira@fedi.example").want(t, "search a handle", 200,
		"Mira Okafor", `aria-label="Unfollow Mira Okafor"`, ">Following<")
	as("ben").get(t, "federation", "/social/search?q=ADA").want(t, "search ada", 200, "Ada at the co-op", `aria-label="Unfollow Ada at the co-op"`)
	as("ben").get(t, "federation", "/social/search?q=a").want(t, "search a", 200, "Ada at the co-op", "Mira Okafor", "Tomás the baker").
		lacks(t, "search a", `aria-label="Follow Ben Grower"`) // not oneself
	anon.get(t, "federation", "/social/search?q=%3Cscript%3Ezzq%3C/script%3E").want(t, "search escaped", 200,
		"<title>Search: &lt;script&gt;zzq&lt;/script&gt; · ", `value="&lt;script&gt;zzq&lt;/script&gt;"`,
		"No member or known account has that name.").lacks(t, "search escaped", "<script>zzq")
	anon.get(t, "federation", "/social/search?q=@someone@elsewhere.example").want(t, "unknown handle", 200,
		"We do not know @someone@elsewhere.example yet")
	anon.get(t, "federation", "/social/search?q="+strings.Repeat("x", 201)).want(t, "long q", 400)
}

func TestSocialNotifications(t *testing.T) {
	t.Parallel()
	redirectsToLogin(t, "anonymous notifications", anon.get(t, "federation", "/social/notifications"))
	as("ada").get(t, "federation", "/social/notifications").want(t, "ada's notifications", 200,
		"<h1>Notifications</h1>", `aria-current="page">Notifications`,
		`<a href="https://fedi.example/users/mira">Mira Okafor</a> <span class="note-handle">@mira@fedi.example</span> followed you`,
		`Tomás the baker</a> <span class="note-handle">@tomas@bread.social</span> followed you`,
		`<a href="/social/ben/">Ben Grower</a> <span class="note-handle">@ben</span> followed you`,
		"Mira Okafor</a> <span class=\"note-handle\">@mira@fedi.example</span> liked your post",
		"Ben Grower</a> <span class=\"note-handle\">@ben</span> boosted your post",
		`<p class="notification-object">Who has a spare jam pan`, `class="notification unread"`, "Mark all as read")
	// Reading them: a member of their own, so the seed's stay unread.
	v := socialMember(t, "reader")
	liker := socialMember(t, "reader_fan")
	v.post(t, "federation", "/social/compose", url.Values{"content": {"Read me"}, "visibility": {"unlisted"}})
	liker.post(t, "federation", "/social/follow", url.Values{"username": {"reader"}})
	liker.post(t, "federation", "/social/like", url.Values{"object": {noteObject(t, "reader")}})
	v.get(t, "federation", "/social/").want(t, "badge", 200, `<span class="badge">2<span class="visually-hidden"> unread</span></span>`)
	v.get(t, "federation", "/social/notifications").want(t, "reader's notifications", 200, "2 new since you last looked.",
		"Test reader_fan</a> <span class=\"note-handle\">@reader_fan</span> liked your post", "Read me")
	if r := v.do(t, "POST", "federation", "/social/notifications/read", url.Values{}); r.Status != 403 {
		t.Fatalf("mark read without CSRF token: %d", r.Status)
	}
	if r := v.post(t, "federation", "/social/notifications/read", nil); r.Status != 303 {
		t.Fatalf("mark read: %d", r.Status)
	}
	rd := v.get(t, "federation", "/social/notifications").want(t, "read", 200, "You are up to date.")
	rd.lacks(t, "read", `class="notification unread"`, "Mark all as read")
	// Cleo, without a username, is asked to choose one.
	if r := as("cleo").get(t, "federation", "/social/notifications"); r.Status != 303 {
		t.Fatalf("cleo's notifications: %d", r.Status)
	}
}

func TestSocialChooseUsername(t *testing.T) {
	t.Parallel()
	redirectsToLogin(t, "anonymous choose-username", anon.get(t, "federation", "/identity/choose-username"))
	v := newMember(t, "chooser")
	v.get(t, "federation", "/identity/choose-username?next=/social/compose").want(t, "choose page", 200,
		"<h1>Choose a username</h1>", `<label for="username">Username</label>`, `name="next" value="/social/compose"`,
		`value="Test chooser"`, `<meta name="robots" content="noindex">`)
	for _, c := range []struct {
		username string
		status   int
		says     string
	}{
		{"ada", 409, "“ada” is taken."},
		{"ADA", 409, "“ADA” is taken."},
		{"compose", 400, "“compose” is reserved."},
		{"no spaces", 400, "Use only letters, digits and underscores."},
		{"<b>x</b>", 400, "Use only letters"},
		{strings.Repeat("a", 31), 400, "at most 30 characters"},
		{"", 400, "Choose a username."},
	} {
		r := v.post(t, "federation", "/identity/choose-username", url.Values{"username": {c.username}})
		r.want(t, "username "+c.username, c.status, c.says, `<form class="panel identity-form"`).lacks(t, "escaped", "<b>x</b>")
	}
	if r := v.do(t, "POST", "federation", "/identity/choose-username", url.Values{"username": {"chooser"}}); r.Status != 403 {
		t.Fatalf("without CSRF token: %d", r.Status)
	}
	r := v.post(t, "federation", "/identity/choose-username", url.Values{"username": {"Chooser_1"}, "display_name": {"<i>Chooser</i>"}, "next": {"/social/compose"}})
	if r.Status != 303 || location(r) != "/social/compose" {
		t.Fatalf("claim: %d %s\n%s", r.Status, r.Header.Get("Location"), clip(r.Body))
	}
	v.get(t, "federation", "/identity/choose-username").want(t, "after claiming", 200, "<h1>Your username</h1>", "@Chooser_1")
	anon.get(t, "federation", "/social/chooser_1/").want(t, "the new profile", 200, "<h1>&lt;i&gt;Chooser&lt;/i&gt;</h1>", "@Chooser_1")
	// A second claim changes nothing.
	v.post(t, "federation", "/identity/choose-username", url.Values{"username": {"other"}})
	if n := scalar[int](t, `select count(*) from ap_actor_profiles a join users u on u.id = a.user_id where u.slug = 'chooser'`); n != 1 {
		t.Fatalf("profiles: %d", n)
	}
}

func TestSocialEditProfile(t *testing.T) {
	t.Parallel()
	redirectsToLogin(t, "anonymous edit", anon.get(t, "federation", "/identity/profile"))
	if r := newMember(t, "no_name").get(t, "federation", "/identity/profile"); r.Status != 303 || !strings.Contains(r.Header.Get("Location"), "/identity/choose-username") {
		t.Fatalf("edit without a username: %d %s", r.Status, r.Header.Get("Location"))
	}
	v := socialMember(t, "editor")
	v.get(t, "federation", "/identity/profile").want(t, "edit page", 200, "<h1>Edit your profile</h1>",
		`<label for="display-name">Display name</label>`, `value="Test editor"`, `<label for="summary">About you</label>`)
	r := v.post(t, "federation", "/identity/profile", url.Values{"display_name": {"Ed <script>x</script>"},
		"summary": {"Grows \"<b>leeks</b>\""}, "avatar_url": {"https://img.example/ed.png"}})
	if r.Status != 303 || location(r) != "/identity/profile?saved=true" {
		t.Fatalf("save: %d %s", r.Status, r.Header.Get("Location"))
	}
	v.get(t, "federation", "/identity/profile?saved=true").want(t, "saved", 200, "Saved.", `value="Ed &lt;script&gt;x&lt;/script&gt;"`)
	anon.get(t, "federation", "/social/editor/").want(t, "edited profile", 200, "<h1>Ed &lt;script&gt;x&lt;/script&gt;</h1>",
		"&lt;b&gt;leeks&lt;/b&gt;", `src="https://img.example/ed.png"`).lacks(t, "edited profile", "<script>x", "<b>leeks")
	v.post(t, "federation", "/identity/profile", url.Values{"avatar_url": {"javascript:alert(1)"}}).want(t, "bad avatar", 400, "http:// or https://")
	v.post(t, "federation", "/identity/profile", url.Values{"display_name": {strings.Repeat("n", 101)}}).want(t, "long name", 400, "at most 100")
	if r := v.do(t, "POST", "federation", "/identity/profile", url.Values{"display_name": {"x"}}); r.Status != 403 {
		t.Fatalf("without CSRF token: %d", r.Status)
	}
}

func TestSocialAccountNavItem(t *testing.T) {
	t.Parallel()
	as("ben").get(t, "account", "/").want(t, "dashboard", 200, `<a class="account-nav-item" href="`+urls["federation"]+`/social/">Social</a>`)
}
