/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Child process of test-mirror-crash: works on a mirror until the test
 * kills it with SIGKILL.
 *   edits PATH  import the test card, then edit forever; after each edit
 *               returned (committed) print "ACK n"
 *   hold PATH   import the test card, then open a transaction that changes
 *               records and the modseq, print "IN-TX" and wait
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "sv-mirror-private.h"
#include "sv-mirror-test-util.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SvMirror) mirror = NULL;
  g_autoptr(SvCardImage) card = NULL;

  if (argc != 3)
    return 2;

  mirror = sv_mirror_open (argv[2], &error);
  if (mirror == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  card = test_card_new (TEST_ICCID, TEST_ALPHA_LEN, TEST_N_ADN, 2);
  if (!sv_mirror_has_card (mirror, TEST_ICCID) &&
      !sv_mirror_import_card (mirror, card, NULL, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }

  if (g_str_equal (argv[1], "edits"))
    {
      for (guint i = 0; ; i++)
        {
          g_autoptr(SvCardImage) working = sv_card_image_copy (card);
          g_autofree char *name = g_strdup_printf ("E%u", i);
          g_autoptr(GBytes) rec = test_adn_record (TEST_ALPHA_LEN, name, 0x81, "12345");

          sv_card_image_set_record (working, "adn", 3 + i % 6, rec, NULL);
          /* Every edit is the whole image: records 3..8 carry E(i-5)..E(i). */
          for (guint back = 1; back < 6 && back <= i; back++)
            {
              g_autofree char *prev = g_strdup_printf ("E%u", i - back);
              g_autoptr(GBytes) prev_rec = test_adn_record (TEST_ALPHA_LEN, prev, 0x81, "12345");

              sv_card_image_set_record (working, "adn", 3 + (i - back) % 6, prev_rec, NULL);
            }
          if (!sv_mirror_apply_image (mirror, working, SV_HISTORY_EDIT, name, &error))
            {
              fprintf (stderr, "%s\n", error->message);
              return 1;
            }
          printf ("ACK %u\n", i);
          fflush (stdout);
        }
    }

  if (g_str_equal (argv[1], "hold"))
    {
      sqlite3 *db = sv_mirror_get_db (mirror);

      if (!sv_mirror_sql_exec (db,
                               "BEGIN IMMEDIATE;"
                               "UPDATE records SET working = x'00', state = 1, version = 999;"
                               "UPDATE cards SET modseq = 999, label = 'half-written';"
                               "DELETE FROM contacts;",
                               &error))
        {
          fprintf (stderr, "%s\n", error->message);
          return 1;
        }
      /* Make sure the changes reached the WAL file, not only the cache. */
      sqlite3_db_cacheflush (db);
      printf ("IN-TX\n");
      fflush (stdout);
      for (;;)
        pause ();
    }

  return 2;
}
