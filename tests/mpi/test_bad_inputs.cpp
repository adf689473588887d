// mpi.bad_inputs: every documented error, from every client at once (each in
// its own directory): the errno code, and a message that is not empty and
// names the path involved.
#include "mpi_check.hpp"

#include <string>
#include <vector>

using namespace nacre;

int main(int argc, char** argv) {
  nacre::Config config;
  config.servers = 1;
  return mpicheck::run_embedded(argc, argv, config, [](mpicheck::Env& env) {
    FileSystem& fs = env.fs;
    const std::string top = "/b" + std::to_string(env.rank);
    CHECK_OK(fs.mkdir(top));

    // Missing files and directories: ENOENT.
    const std::string missing = top + "/missing";
    CHECK_ERRNO_PATH(fs.open(missing, open_flags::kRead), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.stat(missing), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.unlink(missing), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.rmdir(missing), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.readdir(missing), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.truncate(missing, 0), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.rename(missing, top + "/x"), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.get_layout(missing), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.get_default_layout(missing), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.set_default_layout(missing, LayoutRequest{}), ENOENT, missing);
    CHECK_ERRNO_PATH(fs.create(missing + "/f"), ENOENT, missing + "/f");
    CHECK_ERRNO_PATH(fs.mkdir(missing + "/d"), ENOENT, missing + "/d");

    // A file used as a directory: ENOTDIR; a directory as a file: EISDIR.
    const std::string file = top + "/file";
    {
      auto f = fs.create(file);
      CHECK_OK(f);
    }
    CHECK_ERRNO_PATH(fs.create(file + "/f"), ENOTDIR, file + "/f");
    CHECK_ERRNO_PATH(fs.mkdir(file + "/d"), ENOTDIR, file + "/d");
    CHECK_ERRNO_PATH(fs.stat(file + "/f"), ENOTDIR, file + "/f");
    CHECK_ERRNO_PATH(fs.readdir(file), ENOTDIR, file);
    CHECK_ERRNO_PATH(fs.rmdir(file), ENOTDIR, file);
    CHECK_ERRNO_PATH(fs.open(top, open_flags::kRead), EISDIR, top);
    CHECK_ERRNO_PATH(fs.unlink(top), EISDIR, top);
    CHECK_ERRNO_PATH(fs.mkdir(file), EEXIST, file);
    CHECK_ERRNO_PATH(fs.create(file), EEXIST, file);
    CHECK_ERRNO_PATH(fs.create(top), EEXIST, top);
    CHECK(!fs.rmdir("/").is_ok());
    CHECK(!fs.mkdir("/").is_ok());
    CHECK(!fs.unlink("/").is_ok());
    CHECK_ERRNO(fs.open("/", open_flags::kRead), EISDIR);

    // Bad paths: EINVAL / ENAMETOOLONG.
    for (const std::string& p : {std::string("relative"), std::string("rel/x"), std::string(""),
                                top + "/../x", top + "/./x", top + "/..", std::string("/.")}) {
      CHECK_ERRNO_PATH(fs.open(p, open_flags::kRead), EINVAL, p);
      CHECK_ERRNO_PATH(fs.mkdir(p), EINVAL, p);
      CHECK_ERRNO_PATH(fs.stat(p), EINVAL, p);
      CHECK_ERRNO_PATH(fs.create(p), EINVAL, p);
      CHECK_ERRNO_PATH(fs.unlink(p), EINVAL, p);
    }
    CHECK_ERRNO(fs.rename(file, "relative"), EINVAL);
    CHECK_ERRNO(fs.rename(file, top + "/../y"), EINVAL);
    const std::string long_name = top + "/" + std::string(256, 'n');
    const std::string ok_name = top + "/" + std::string(255, 'n');
    CHECK_ERRNO_PATH(fs.mkdir(long_name), ENAMETOOLONG, long_name);
    CHECK_ERRNO_PATH(fs.create(long_name), ENAMETOOLONG, long_name);
    CHECK_OK(fs.mkdir(ok_name));
    CHECK_OK(fs.rmdir(ok_name));
    std::string long_path = top;
    while (long_path.size() <= 4096) long_path += "/" + std::string(200, 'p');
    // Regression: paths longer than 4096 bytes used to fail with EBADMSG
    // ("malformed MKDIR message body"): the server's wire decoder
    // (kMaxStringField) rejected them before the metadata server could say
    // ENAMETOOLONG. The client now checks paths before sending them.
    CHECK_ERRNO(fs.mkdir(long_path), ENAMETOOLONG);
    CHECK_ERRNO(fs.stat(long_path), ENAMETOOLONG);
    CHECK_ERRNO(fs.open(long_path, open_flags::kRead), ENAMETOOLONG);
    // Redundant slashes are fine.
    CHECK_OK(fs.stat(top + "//file"));
    CHECK_OK(fs.stat(top + "/"));

    // Invalid layouts: EINVAL, and nothing is created.
    const std::string bad = top + "/badlayout";
    const LayoutRequest bad_layouts[] = {
        {1000, 1, -1},                              // not a multiple of 64 KiB
        {kStripeSizeUnit + 1, 1, -1},
        {kMaxStripeSize + kStripeSizeUnit, 1, -1},  // too large
        {kStripeSizeUnit, env.servers + 1, -1},     // more stripes than servers
        {kStripeSizeUnit, -2, -1},
        {kStripeSizeUnit, 1, env.servers},          // no such server
        {kStripeSizeUnit, 1, -2},
    };
    for (const auto& l : bad_layouts) {
      CHECK_ERRNO_PATH(fs.create(bad, 0644, l), EINVAL, bad);
      CHECK_ERRNO(fs.stat(bad), ENOENT);
      CHECK_ERRNO_PATH(fs.open(bad, open_flags::kCreate | open_flags::kWrite, 0644, l), EINVAL, bad);
      CHECK_ERRNO_PATH(fs.set_default_layout(top, l), EINVAL, top);
    }
    {
      auto s = fs.create(bad, 0644, LayoutRequest{1000, 1, -1});
      CHECK(s.status().message().find("stripe_size") != std::string::npos);
      auto c = fs.create(bad, 0644, LayoutRequest{kStripeSizeUnit, env.servers + 1, -1});
      CHECK(c.status().message().find("stripe_count") != std::string::npos);
    }
    // The directory default did not change, and valid odd sizes work.
    CHECK_EQ(fs.get_default_layout(top).value().stripe_size, uint64_t{1} << 20);
    {
      auto f = fs.create(bad, 0644, LayoutRequest{3 * kStripeSizeUnit, 1, 0});
      CHECK_OK(f);
      if (f) CHECK_EQ(f->layout().stripe_size, 3 * kStripeSizeUnit);
    }
    // A layout is ignored when open() does not create the file.
    {
      auto f = fs.open(bad, open_flags::kRead, 0644, LayoutRequest{1000, 99, 99});
      CHECK_OK(f);
    }

    // Bad open flags: EINVAL.
    for (uint32_t flags : {0u, open_flags::kCreate, open_flags::kCreate | open_flags::kExclusive,
                           open_flags::kTruncate, open_flags::kRead | open_flags::kTruncate,
                           open_flags::kRead | 256u, open_flags::kReadWrite | 0x80000000u})
      CHECK_ERRNO_PATH(fs.open(file, flags), EINVAL, file);
    CHECK_ERRNO(fs.open(top + "/newflags", 0), EINVAL);
    CHECK_ERRNO(fs.stat(top + "/newflags"), ENOENT);

    // Access modes: EBADF.
    {
      auto w = fs.open(file, open_flags::kReadWrite);
      CHECK_OK(w);
      if (w) CHECK_OK(w->write_at(0, "0123456789", 10));
      auto ro = fs.open(file, open_flags::kRead);
      CHECK_OK(ro);
      if (ro) {
        CHECK_ERRNO_PATH(ro->write_at(0, "x", 1), EBADF, file);
        CHECK_ERRNO_PATH(ro->set_size(0), EBADF, file);
        char c = 0;
        CHECK_EQ(ro->read_at(3, &c, 1).value(), size_t{1});
        CHECK_EQ(c, '3');
      }
      auto wo = fs.open(file, open_flags::kWrite);
      CHECK_OK(wo);
      if (wo) {
        char buf[4];
        CHECK_ERRNO_PATH(wo->read_at(0, buf, sizeof buf), EBADF, file);
        CHECK_OK(wo->write_at(0, "A", 1));
        CHECK_ERRNO_PATH(wo->write_at(0, nullptr, 4), EINVAL, file);
      }
      if (w) {
        CHECK_ERRNO_PATH(w->read_at(0, nullptr, 4), EINVAL, file);
        // Zero-length transfers are fine, with or without a buffer.
        CHECK_EQ(w->write_at(5, nullptr, 0).value(), size_t{0});
        CHECK_EQ(w->read_at(5, nullptr, 0).value(), size_t{0});
      }
    }

    // Offsets past the largest file size: EFBIG, and nothing is written.
    {
      auto f = fs.open(file, open_flags::kReadWrite);
      CHECK_OK(f);
      if (f) {
        CHECK_ERRNO_PATH(f->write_at(kMaxFileSize - 1, "xy", 2), EFBIG, file);
        CHECK_ERRNO_PATH(f->write_at(kMaxFileSize, "x", 1), EFBIG, file);
        CHECK_ERRNO_PATH(f->write_at(~uint64_t{0} - 1, "xyzw", 4), EFBIG, file);
        CHECK_ERRNO_PATH(f->set_size(kMaxFileSize + 1), EFBIG, file);
        CHECK_EQ(f->size().value(), uint64_t{10});
        // The last byte there is can be written.
        CHECK_EQ(f->write_at(kMaxFileSize - 1, "z", 1).value(), size_t{1});
        CHECK_EQ(f->size().value(), kMaxFileSize);
        char c = 0;
        CHECK_EQ(f->read_at(kMaxFileSize - 1, &c, 1).value(), size_t{1});
        CHECK_EQ(c, 'z');
        CHECK_OK(f->set_size(10));
      }
    }

    // Closing: twice is fine; a closed File fails with EBADF.
    {
      auto f = fs.open(file, open_flags::kReadWrite);
      REQUIRE_OK(f);
      CHECK(f->is_open());
      CHECK_OK(f->close());
      CHECK(!f->is_open());
      CHECK_OK(f->close());
      char buf[4];
      CHECK_ERRNO(f->write_at(0, "x", 1), EBADF);
      CHECK_ERRNO(f->read_at(0, buf, 1), EBADF);
      CHECK_ERRNO(f->size(), EBADF);
      CHECK_ERRNO(f->sync(), EBADF);
      CHECK_ERRNO(f->set_size(0), EBADF);
      CHECK(f->path().empty());
      CHECK_EQ(f->layout().stripe_count(), 0u);
      // A moved-from File is closed too.
      auto g = fs.open(file, open_flags::kRead);
      REQUIRE_OK(g);
      File h = std::move(*g);
      CHECK(!g->is_open());
      CHECK_ERRNO(g->read_at(0, buf, 1), EBADF);
      CHECK_EQ(h.read_at(0, buf, 4).value(), size_t{4});
      CHECK_OK(h.close());
    }

    // Not empty: ENOTEMPTY.
    CHECK_ERRNO_PATH(fs.rmdir(top), ENOTEMPTY, top);

    // A disconnected FileSystem: ENOTCONN.
    {
      FileSystem none;
      CHECK(!none.is_connected());
      CHECK_EQ(none.server_count(), 0);
      CHECK_ERRNO(none.mkdir("/x"), ENOTCONN);
      CHECK_ERRNO(none.stat("/x"), ENOTCONN);
      CHECK_ERRNO(none.open("/x", open_flags::kRead), ENOTCONN);
    }

    // Everything failed without side effects: only what was made is there.
    env.barrier();
    auto ls = fs.readdir(top);
    CHECK_OK(ls);
    if (ls) CHECK_EQ(ls->size(), size_t{2});  // badlayout, file
    CHECK_OK(fs.unlink(top + "/badlayout"));
    CHECK_OK(fs.unlink(file));
    CHECK_OK(fs.rmdir(top));
    env.barrier();
    CHECK_EQ(fs.readdir("/").value().size(), size_t{0});

    // After shutdown the file system is disconnected.
    CHECK_OK(env.rt.shutdown());
    CHECK_ERRNO(env.rt.fs().stat("/"), ENOTCONN);
    CHECK_OK(env.rt.shutdown());  // idempotent
  });
}
