/* Reproduction of the filetype HDF5 1.10.8's MPI-IO driver builds for a
 * collective write of chunks (testphdf5 ecdsetw / selnone at 4 ranks): a
 * struct of chunk pieces, some of them resized, so that MPI's "sticky"
 * lower/upper-bound rules give the struct lb 1008 and extent 1232 while its
 * data span bytes [0, 2216). HDF5 accesses exactly one instance of it.
 * ROMIO accepts the view; see README.md here (Nacre bug 1).
 *
 * mpicc view_extent_repro.c -o view_extent_repro
 * mpirun -n 2 ./view_extent_repro <file>      exit 0: OK, 1: failed
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, ok = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (argc < 2) { if (!rank) fprintf(stderr, "usage: %s <file>\n", argv[0]); MPI_Abort(MPI_COMM_WORLD, 2); }
  /* as in testphdf5's dump: 20 pieces 112 bytes apart; pieces 9 and 19 are
   * vector(1, 4, 1) of resized(int, lb 0, extent 28) (4 ints, 28 bytes apart) */
  MPI_Datatype four, piece, sparse_int, sparse, ft;
  MPI_Type_contiguous(4, MPI_BYTE, &four);
  MPI_Type_vector(1, 28, 1, four, &piece);                /* 112 contiguous bytes */
  MPI_Type_create_resized(four, 0, 28, &sparse_int);
  MPI_Type_vector(1, 4, 1, sparse_int, &sparse);          /* 4 ints at 0, 28, 56, 84 */
  int bl[20]; MPI_Aint disp[20]; MPI_Datatype types[20];
  for (int i = 0; i < 20; i++) { bl[i] = 1; disp[i] = 112 * i; types[i] = (i % 10 == 9) ? sparse : piece; }
  MPI_Type_create_struct(20, bl, disp, types, &ft);
  MPI_Type_commit(&ft);
  MPI_Aint lb, ext, tlb, text;
  int size;
  MPI_Type_get_extent(ft, &lb, &ext);
  MPI_Type_get_true_extent(ft, &tlb, &text);
  MPI_Type_size(ft, &size);
  if (!rank) printf("filetype: size %d lb %ld extent %ld true_lb %ld true_extent %ld\n", size,
                    (long)lb, (long)ext, (long)tlb, (long)text);
  MPI_File fh;
  int rc = MPI_File_open(MPI_COMM_WORLD, argv[1], MPI_MODE_CREATE | MPI_MODE_RDWR, MPI_INFO_NULL, &fh);
  if (rc != MPI_SUCCESS) { fprintf(stderr, "rank %d: MPI_File_open failed\n", rank); MPI_Abort(MPI_COMM_WORLD, 1); }
  char *buf = malloc(size), *back = malloc(size);
  for (int i = 0; i < size; i++) buf[i] = (char)(rank * 31 + i);
  const MPI_Offset base = 4096 * (MPI_Offset)rank;       /* like HDF5: one disp per rank */
  rc = MPI_File_set_view(fh, base, MPI_BYTE, ft, "native", MPI_INFO_NULL);
  if (rc != MPI_SUCCESS) { fprintf(stderr, "rank %d: MPI_File_set_view failed\n", rank); ok = 0; }
  else {
    MPI_Status st;
    if (MPI_File_write_at_all(fh, 0, buf, size, MPI_BYTE, &st) != MPI_SUCCESS) ok = 0;
    if (MPI_File_read_at_all(fh, 0, back, size, MPI_BYTE, &st) != MPI_SUCCESS) ok = 0;
    if (ok && memcmp(buf, back, size) != 0) { fprintf(stderr, "rank %d: read back differs\n", rank); ok = 0; }
  }
  MPI_File_close(&fh);
  int all;
  MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!rank) printf("%s\n", all ? "view_extent_repro: OK" : "view_extent_repro: FAILED");
  MPI_Finalize();
  return all ? 0 : 1;
}
