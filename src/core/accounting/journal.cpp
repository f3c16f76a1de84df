// The usage-record journal; see journal.hpp.
#include "aigw/accounting/journal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

namespace aigw {

namespace journal_format {

namespace {

constexpr char magic[8] = {'A', 'I', 'G', 'W', 'J', 'N', 'L', '1'};

std::array<std::uint32_t, 256> make_crc_table() {
    std::array<std::uint32_t, 256> t{};
    for (std::uint32_t i = 0; i < 256; i++) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        t[i] = c;
    }
    return t;
}

const std::array<std::uint32_t, 256> crc_table = make_crc_table();

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; i++) {
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
}

std::uint64_t get_le(const char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--) {
        v = (v << 8) | static_cast<unsigned char>(p[i]);
    }
    return v;
}

}  // namespace

std::uint32_t crc32(std::string_view data) noexcept {
    std::uint32_t c = 0xffffffffu;
    for (char ch : data) {
        c = crc_table[(c ^ static_cast<unsigned char>(ch)) & 0xff] ^ (c >> 8);
    }
    return c ^ 0xffffffffu;
}

void append_frame(std::string& out, std::string_view payload) {
    put_u32(out, static_cast<std::uint32_t>(payload.size()));
    put_u32(out, crc32(payload));
    out.append(payload);
}

std::string header(std::uint64_t committed) {
    std::string h(magic, sizeof(magic));
    for (int i = 0; i < 8; i++) {
        h.push_back(static_cast<char>((committed >> (8 * i)) & 0xff));
    }
    h.resize(header_size, '\0');
    return h;
}

bool read_header(std::string_view data, std::uint64_t& committed) noexcept {
    if (data.size() < header_size || std::memcmp(data.data(), magic, sizeof(magic)) != 0) {
        return false;
    }
    committed = get_le(data.data() + sizeof(magic), 8);
    return true;
}

scan_result scan(std::string_view data, std::vector<frame>& out) {
    scan_result r;
    std::size_t at = 0;
    while (data.size() - at >= frame_overhead) {
        auto len = static_cast<std::uint32_t>(get_le(data.data() + at, 4));
        auto crc = static_cast<std::uint32_t>(get_le(data.data() + at + 4, 4));
        if (len > max_payload) {
            r.torn = true;
            break;
        }
        std::size_t size = frame_overhead + len;
        if (data.size() - at < size) {
            r.need = size;
            break;
        }
        std::string_view payload = data.substr(at + frame_overhead, len);
        if (crc32(payload) != crc) {
            r.torn = true;
            break;
        }
        out.push_back({at, size, payload});
        at += size;
    }
    if (!r.torn && r.need == 0 && at < data.size()) {
        r.need = frame_overhead;  // a piece of a frame's head
    }
    r.consumed = at;
    return r;
}

}  // namespace journal_format

namespace {

namespace jf = journal_format;

constexpr std::size_t read_chunk = 256 * 1024;
constexpr std::string_view file_prefix = "usage.";
constexpr std::string_view file_suffix = ".journal";

std::string why(const std::string& what, const std::string& path, int err) {
    return what + " \"" + path + "\" failed: " + std::strerror(err);
}

bool write_all(int fd, const char* p, std::size_t n, std::uint64_t off) {
    while (n > 0) {
        ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        off += static_cast<std::uint64_t>(w);
    }
    return true;
}

bool read_at(int fd, std::string& out, std::size_t n, std::uint64_t off) {
    out.resize(n);
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = ::pread(fd, &out[got], n - got, static_cast<off_t>(off + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return true;
}

bool is_journal_name(std::string_view name) {
    return name.size() > file_prefix.size() + file_suffix.size() &&
           name.substr(0, file_prefix.size()) == file_prefix &&
           name.substr(name.size() - file_suffix.size()) == file_suffix;
}

struct op {
    enum class kind { append, read, truncate, commit, adopt, remove };
    explicit op(kind what) : k(what) {}
    kind k;
    std::uint64_t segment = 0;
    int fd = -1;
    std::uint64_t off = 0;
    std::size_t len = 0;
    std::size_t records = 0;
    int dir_fd = -1;   // adopt, remove: the journals' directory
    std::string data;  // append: the frames; read: what was read
    std::string path;  // remove: the file's name; adopt: this worker's, then the adopted one's
    // Results.
    std::string error;
    int new_fd = -1;
    std::uint64_t size = 0;
    std::uint64_t committed = 0;
};

// Runs on the thread: one operation, its outcome in the op.
void run(op& o) {
    switch (o.k) {
    case op::kind::append:
        if (!write_all(o.fd, o.data.data(), o.data.size(), o.off) || ::fdatasync(o.fd) != 0) {
            o.error = std::strerror(errno);
            // What reached the file of this write is not trusted: cut it off again.
            if (::ftruncate(o.fd, static_cast<off_t>(o.off)) != 0) {
                o.error += std::string(", and cutting the file back failed: ") +
                           std::strerror(errno);
            }
        }
        o.data.clear();
        break;
    case op::kind::read:
        if (!read_at(o.fd, o.data, o.len, o.off)) {
            o.error = std::strerror(errno);
        }
        break;
    case op::kind::truncate: {
        std::string h = jf::header(jf::header_size);
        if (::ftruncate(o.fd, static_cast<off_t>(jf::header_size)) != 0 ||
            !write_all(o.fd, h.data(), h.size(), 0)) {
            o.error = std::strerror(errno);
        }
        break;
    }
    case op::kind::commit: {
        std::string h = jf::header(o.off);
        if (!write_all(o.fd, h.data(), h.size(), 0)) {
            o.error = std::strerror(errno);
        }
        break;
    }
    case op::kind::remove:
        ::unlinkat(o.dir_fd, o.path.c_str(), 0);
        ::close(o.fd);
        break;
    case op::kind::adopt: {
        int scan = ::dup(o.dir_fd);
        DIR* d = scan < 0 ? nullptr : ::fdopendir(scan);
        if (d == nullptr) {
            o.error = std::string("reading the journals' directory failed: ") +
                      std::strerror(errno);
            if (scan >= 0) ::close(scan);
            break;
        }
        std::string own = o.path;
        o.path.clear();
        while (dirent* e = ::readdir(d)) {
            std::string name(e->d_name);
            if (!is_journal_name(name) || name == own) {
                continue;
            }
            int fd = ::openat(o.dir_fd, name.c_str(), O_RDWR | O_CLOEXEC);
            if (fd < 0) {
                continue;
            }
            struct stat st {};
            std::string head;
            std::uint64_t committed = 0;
            // Locked: its worker is alive. Not a journal's header: not ours to touch.
            if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::fstat(fd, &st) != 0 ||
                !read_at(fd, head, jf::header_size, 0) || !jf::read_header(head, committed)) {
                ::close(fd);
                continue;
            }
            auto size = static_cast<std::uint64_t>(st.st_size);
            if (committed < jf::header_size || committed >= size) {
                if (committed >= size) {  // all delivered
                    ::unlinkat(o.dir_fd, name.c_str(), 0);
                    ::close(fd);
                    continue;
                }
                committed = jf::header_size;
            }
            o.new_fd = fd;
            o.path = name;
            o.size = size;
            o.committed = committed;
            break;
        }
        ::closedir(d);
        break;
    }
    }
}

}  // namespace

struct usage_journal::impl {
    struct segment {
        std::uint64_t id = 0;
        int fd = -1;
        std::string name;  // in the directory
        std::string path;  // for messages
        std::uint64_t end_posted = 0;   // after every append posted (adopted: the file's size)
        std::uint64_t end_durable = 0;  // after every append done
        std::uint64_t read_off = 0;     // the next frame to read
        std::size_t read_need = read_chunk;
        bool read_inflight = false;
        bool commit_inflight = false;
        std::uint64_t committed_written = 0;
        std::map<std::uint64_t, std::uint64_t> outstanding;  // frames read, not done: start -> end
        std::deque<record> ready;                             // read, not handed out

        std::uint64_t committed() const {
            return outstanding.empty() ? read_off : outstanding.begin()->first;
        }
        bool drained() const {
            return read_off >= end_posted && outstanding.empty() && ready.empty() &&
                   !read_inflight;
        }
    };

    std::string dir;
    int dir_fd = -1;
    std::uint64_t max_bytes = 0;
    segment own;
    std::unique_ptr<segment> adopted;
    std::uint64_t next_id = 2;
    std::string pending;  // frames not yet posted
    std::size_t pending_records = 0;
    bool append_inflight = false;
    bool adopt_inflight = false;
    std::size_t inflight = 0;
    std::vector<message> messages;

    void say(bool error, std::string text) { messages.push_back({error, std::move(text)}); }

    std::mutex m;
    std::condition_variable cv;
    std::deque<op> todo;
    std::deque<op> finished;
    bool stopping = false;
    bool abandon = false;
    std::thread thread;

    void loop() {
        std::unique_lock<std::mutex> lock(m);
        for (;;) {
            cv.wait(lock, [this] { return stopping || !todo.empty(); });
            if (todo.empty() || abandon) {
                return;
            }
            op o = std::move(todo.front());
            todo.pop_front();
            lock.unlock();
            try {
                run(o);
            } catch (...) {
                o.error = "out of memory";
            }
            lock.lock();
            finished.push_back(std::move(o));
        }
    }

    void post(op&& o) {
        inflight++;
        {
            std::lock_guard<std::mutex> lock(m);
            todo.push_back(std::move(o));
        }
        cv.notify_one();
    }

    void stop(bool drop_todo) {
        if (!thread.joinable()) {
            return;
        }
        {
            std::lock_guard<std::mutex> lock(m);
            stopping = true;
            abandon = drop_todo;
        }
        cv.notify_one();
        thread.join();
    }

    segment* find(std::uint64_t id) {
        if (id == own.id) return &own;
        if (adopted && adopted->id == id) return adopted.get();
        return nullptr;
    }

    void parse_read(segment& s, op& o, counters& c) {
        std::vector<jf::frame> frames;
        jf::scan_result r = jf::scan(o.data, frames);
        for (const jf::frame& f : frames) {
            ticket t{s.id, o.off + f.offset, o.off + f.offset + f.size};
            s.outstanding.emplace(t.start, t.end);
            s.ready.push_back({std::string(f.payload), t});
        }
        s.read_off += r.consumed;
        s.read_need = r.need > read_chunk ? r.need : read_chunk;
        // Frames are written whole, so one that would end past what was written, or a file
        // shorter than what was written to it, is a torn tail: it will never be whole.
        bool past_end = r.need > 0 && s.read_off + r.need > s.end_durable;
        bool short_file = o.data.size() < o.len;
        if ((r.torn || past_end || short_file) && s.read_off < s.end_durable) {
            std::uint64_t skipped = s.end_durable - s.read_off;
            c.lost_torn += skipped;
            say(true, "journal \"" + s.path + "\" has a torn or unreadable record at " +
                               std::to_string(s.read_off) + ": " + std::to_string(skipped) +
                               " bytes skipped");
            s.read_off = s.end_durable;
        }
    }

    // Takes in what the thread finished.
    void collect(counters& c) {
        std::deque<op> done_ops;
        {
            std::lock_guard<std::mutex> lock(m);
            done_ops.swap(finished);
        }
        for (op& o : done_ops) {
            inflight--;
            segment* s = find(o.segment);
            switch (o.k) {
            case op::kind::append:
                append_inflight = false;
                if (o.error.empty()) {
                    own.end_durable = o.off + o.len;
                } else {
                    c.lost_io += o.records;
                    own.end_posted = o.off;
                    say(true, "write to journal \"" + own.path + "\" failed: " +
                                       o.error + "; " + std::to_string(o.records) +
                                       " usage records lost");
                }
                break;
            case op::kind::read:
                if (s == nullptr) break;
                s->read_inflight = false;
                if (!o.error.empty()) {
                    say(true, "read of journal \"" + s->path + "\" failed: " + o.error);
                    break;  // tried again at the next pump
                }
                parse_read(*s, o, c);
                break;
            case op::kind::commit:
                if (s != nullptr) s->commit_inflight = false;
                if (!o.error.empty()) {
                    say(true, "header write of journal \"" + (s ? s->path : own.path) +
                                  "\" failed: " + o.error);
                }
                break;
            case op::kind::truncate:
                if (!o.error.empty()) {
                    say(true, "truncation of journal \"" + own.path +
                                       "\" failed: " + o.error);
                }
                break;
            case op::kind::adopt:
                adopt_inflight = false;
                if (!o.error.empty()) {
                    say(true, o.error);
                } else if (o.new_fd >= 0) {
                    auto a = std::make_unique<segment>();
                    a->id = next_id++;
                    a->fd = o.new_fd;
                    a->name = o.path;
                    a->path = dir + "/" + o.path;
                    a->end_posted = a->end_durable = o.size;
                    a->read_off = a->committed_written = o.committed;
                    c.adopted++;
                    say(false, "adopted the journal \"" + a->path + "\" of an exited "
                                       "worker: " + std::to_string(o.size - o.committed) +
                                       " bytes of usage records to send");
                    adopted = std::move(a);
                }
                break;
            case op::kind::remove:
                break;
            }
        }
    }

    void post_read(segment& s) {
        if (s.read_inflight || !s.ready.empty() || s.read_off >= s.end_durable) {
            return;
        }
        op o(op::kind::read);
        o.segment = s.id;
        o.fd = s.fd;
        o.off = s.read_off;
        std::uint64_t left = s.end_durable - s.read_off;
        o.len = static_cast<std::size_t>(left < s.read_need ? left : s.read_need);
        s.read_inflight = true;
        post(std::move(o));
    }

    void post_commit(segment& s) {
        std::uint64_t c = s.committed();
        if (s.commit_inflight || c == s.committed_written) {
            return;
        }
        op o(op::kind::commit);
        o.segment = s.id;
        o.fd = s.fd;
        o.off = c;
        s.committed_written = c;
        s.commit_inflight = true;
        post(std::move(o));
    }

    void take(segment& s, std::size_t& room, std::vector<record>& out, counters& c) {
        while (room > 0 && !s.ready.empty()) {
            out.push_back(std::move(s.ready.front()));
            s.ready.pop_front();
            room--;
            c.replayed++;
        }
        if (room > 0) {
            post_read(s);
        }
    }
};

usage_journal::usage_journal() : impl_(std::make_unique<impl>()) {}

usage_journal::~usage_journal() {
    impl_->stop(true);
    if (impl_->own.fd >= 0) ::close(impl_->own.fd);
    if (impl_->adopted && impl_->adopted->fd >= 0) ::close(impl_->adopted->fd);
    if (impl_->dir_fd >= 0) ::close(impl_->dir_fd);
}

const std::string& usage_journal::path() const noexcept { return impl_->own.path; }

std::string usage_journal::open(const std::string& dir, std::uint64_t max_bytes, long pid,
                                int dir_fd) {
    impl& j = *impl_;
    j.dir = dir;
    j.max_bytes = max_bytes;
    if (dir_fd >= 0) {
        j.dir_fd = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
        if (j.dir_fd < 0) {
            return why("dup()", dir, errno);
        }
    } else {
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            return why("mkdir()", dir, errno);
        }
        j.dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (j.dir_fd < 0) {
            return why("open()", dir, errno);
        }
    }
    j.own.id = 1;
    j.own.name = std::string(file_prefix) + std::to_string(pid) + std::string(file_suffix);
    j.own.path = dir + "/" + j.own.name;
    int fd = ::openat(j.dir_fd, j.own.name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return why("open()", j.own.path, errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        std::string e = why("flock()", j.own.path, errno);
        ::close(fd);
        return e;
    }
    j.own.fd = fd;
    // A file of this name from before (a dead process of the same pid) is taken as it is.
    struct stat st {};
    std::string head;
    std::uint64_t committed = 0;
    if (::fstat(fd, &st) != 0) {
        return why("fstat()", j.own.path, errno);
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (read_at(fd, head, jf::header_size, 0) && jf::read_header(head, committed) &&
        committed >= jf::header_size && committed <= size) {
        j.own.end_posted = j.own.end_durable = size;
        j.own.read_off = j.own.committed_written = committed;
    } else {
        std::string h = jf::header(jf::header_size);
        if (::ftruncate(fd, 0) != 0 || !write_all(fd, h.data(), h.size(), 0)) {
            return why("write()", j.own.path, errno);
        }
        j.own.end_posted = j.own.end_durable = j.own.read_off = j.own.committed_written =
            jf::header_size;
    }
    // The thread takes no signal: they are the event loop's.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    try {
        j.thread = std::thread([&j] { j.loop(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return "no thread for the journal";
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return {};
}

bool usage_journal::holds() const noexcept {
    const impl& j = *impl_;
    return !j.pending.empty() || j.append_inflight || j.own.read_off < j.own.end_posted ||
           !j.own.ready.empty();
}

bool usage_journal::put(std::string_view payload) {
    impl& j = *impl_;
    std::uint64_t size = jf::frame_overhead + payload.size();
    if (j.own.fd < 0 || payload.size() > jf::max_payload ||
        j.own.end_posted + j.pending.size() + size > j.max_bytes) {
        counters_.lost_full++;
        return false;
    }
    jf::append_frame(j.pending, payload);
    j.pending_records++;
    counters_.spilled++;
    return true;
}

void usage_journal::pump(std::size_t room, std::vector<record>& out, bool adopt) {
    impl& j = *impl_;
    j.collect(counters_);
    if (!j.append_inflight && !j.pending.empty()) {
        op o(op::kind::append);
        o.segment = j.own.id;
        o.fd = j.own.fd;
        o.off = j.own.end_posted;
        o.len = j.pending.size();
        o.records = j.pending_records;
        o.data.swap(j.pending);
        j.pending.clear();
        j.pending_records = 0;
        j.own.end_posted += o.len;
        j.append_inflight = true;
        j.post(std::move(o));
    }
    j.take(j.own, room, out, counters_);
    if (j.adopted) {
        j.take(*j.adopted, room, out, counters_);
    }
    j.post_commit(j.own);
    // This worker's file delivered whole: back to its header, so it never grows past what
    // one outage needs.
    if (j.own.drained() && j.pending.empty() && !j.append_inflight &&
        j.own.end_posted > jf::header_size) {
        op o(op::kind::truncate);
        o.segment = j.own.id;
        o.fd = j.own.fd;
        j.own.end_posted = j.own.end_durable = j.own.read_off = j.own.committed_written =
            jf::header_size;
        j.post(std::move(o));
    }
    if (j.adopted) {
        if (j.adopted->drained()) {
            op o(op::kind::remove);
            o.fd = j.adopted->fd;
            o.dir_fd = j.dir_fd;
            o.path = j.adopted->name;
            j.adopted.reset();
            j.post(std::move(o));
        } else {
            j.post_commit(*j.adopted);
        }
    }
    if (adopt && !j.adopted && !j.adopt_inflight && !holds()) {
        op o(op::kind::adopt);
        o.dir_fd = j.dir_fd;
        o.path = j.own.name;
        j.adopt_inflight = true;
        j.post(std::move(o));
    }
}

bool usage_journal::busy() const noexcept {
    return impl_->inflight > 0 || !impl_->pending.empty();
}

void usage_journal::done(const ticket& t) {
    if (impl::segment* s = impl_->find(t.segment)) {
        s->outstanding.erase(t.start);
    }
}

std::string usage_journal::close(const std::vector<std::string_view>& tail) {
    impl& j = *impl_;
    j.stop(false);
    j.collect(counters_);
    if (j.own.fd < 0) {
        return {};
    }
    std::string err;
    for (std::string_view rec : tail) {
        if (!put(rec)) {
            break;
        }
    }
    if (!j.pending.empty()) {
        if (!write_all(j.own.fd, j.pending.data(), j.pending.size(), j.own.end_posted) ||
            ::fdatasync(j.own.fd) != 0) {
            err = why("write()", j.own.path, errno);
            counters_.lost_io += j.pending_records;
        } else {
            j.own.end_posted += j.pending.size();
        }
        j.pending.clear();
        j.pending_records = 0;
    }
    auto finish = [&j](impl::segment& s) {
        std::uint64_t c = s.committed();
        if (c >= s.end_posted) {
            ::unlinkat(j.dir_fd, s.name.c_str(), 0);  // nothing left to send
        } else {
            std::string h = jf::header(c);
            (void)write_all(s.fd, h.data(), h.size(), 0);
        }
        ::close(s.fd);
        s.fd = -1;
    };
    finish(j.own);
    if (j.adopted) {
        finish(*j.adopted);
        j.adopted.reset();
    }
    return err;
}

std::vector<usage_journal::message> usage_journal::take_messages() {
    std::vector<message> m;
    m.swap(impl_->messages);
    return m;
}

}  // namespace aigw
