/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * sv-bench-contacts [N] [ROUNDS]: how the contacts list copes with N
 * contacts (default 10000) in a real window:
 *   - loading them into the list (first load, and the reload the window
 *     does after every edit), until drawn;
 *   - typing three searches key by key and erasing them again, each key
 *     timed until the next frame is drawn: mean, p95, max;
 *   - sorting by each column, ascending and descending, until drawn;
 *   - the peak memory of the process (VmHWM).
 * Each key and click is also split into the wait for the frame clock's
 * next slot (when something else, e.g. the search entry's blinking
 * cursor, keeps the clock running, a new frame starts at the next slot
 * only) and the work: the call itself plus the frame from its
 * before-paint to its after-paint. The frames drawn between two keys (the
 * cursor's blink) are counted with their CPU time.
 * sv-bench-contacts --no-cursor-blink N [ROUNDS]: the same with the
 *   cursor blink turned off (a user setting), for information: the frame
 *   clock is idle when a key comes; its BENCH keys start with
 *   "gui_noblink_". (--variant NAME only renames the keys, "gui_NAME_N_",
 *   for a run under another environment, e.g. GSK_RENDERER=cairo.)
 * sv-bench-contacts --startup [RUNS]: starts the real application RUNS
 *   times (default 5) and times process start to the first frame drawn;
 *   then the same for an empty libadwaita window, the floor.
 *
 * Prints figures, and the same figures as "BENCH key=value unit=U" lines
 * for build-aux/bench.sh. Asserts nothing about time (build-aux/bench-gui.sh
 * runs it).
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <adwaita.h>

#include "sv-application.h"
#include "sv-contacts-page.h"

static const char *first_names[] = { "Anna", "Bo", "Chen", "Dmitri", "Eva", "Fatima", "Georg", "Hana",
                                     "Ivan", "Jun", "Karin", "Li", "Marta", "Nikolai", "Olga", "Piotr" };
static const char *last_names[] = { "Wang", "Müller", "Ivanova", "Smith", "Kowalski", "Zhang", "Rossi",
                                    "Tanaka", "Novak", "Dubois", "Li", "Garcia" };

/* What a user types: a name, a name with a letter outside ASCII typed in
 * capitals (case folding), part of a number. */
static const char *searches[] = { "ivan", "MÜLLER", "0815" };

static const char *key_prefix = "gui";
static gboolean painted;
static guint n_frames;
static gint64 frame_started;   /* the last frame's before-paint */

static double
ms_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

/* CPU time of all threads of this process (the renderer's too), in ms:
 * unlike the wall clock it holds still on a machine busy with other work. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
settle (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* A user types a key every 100-300 ms, at any point of the display's
 * refresh interval. Waiting 50 ms between steps lets the frame clock go
 * idle when nothing else keeps it running. When something does (the
 * search entry's blinking cursor, a header click's trailing frame), the
 * last settle() runs a frame that fell due during the sleep, and a step
 * started right after it would always wait the whole next slot; a random
 * 0-16.7 ms more (fixed seed: the same in every run) puts the step at a
 * random point of the interval, as a key press is. */
static void
pause_between_keys (void)
{
  static GRand *phase;

  if (phase == NULL)
    phase = g_rand_new_with_seed (16);
  settle ();
  g_usleep (50 * 1000);
  settle ();
  g_usleep (g_rand_int_range (phase, 0, 16667));
}

static void
before_paint_cb (GdkFrameClock *clock,
                 gpointer       user_data)
{
  frame_started = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  painted = TRUE;
  n_frames++;
}

/* Runs the main loop until the window has drawn a frame that includes
 * everything done so far (layout runs before paint in the same frame). */
static void
wait_drawn (GtkWidget *window)
{
  painted = FALSE;
  gtk_widget_queue_draw (window);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
}

/* Peak resident memory of this process in KiB (Linux /proc). */
static guint64
vm_hwm_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "VmHWM:")) == NULL)
    return 0;
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

typedef struct
{
  double mean, p95, max;
} Stats;

/* The samples of one kind of step (a key, a click). */
typedef struct
{
  GArray *drawn;    /* wall time from the call until its frame is drawn */
  GArray *cpu;      /* CPU time over the same interval */
  GArray *models;   /* wall time in the call (the list models) */
  GArray *wait;     /* from the end of the call to the frame's before-paint */
  GArray *work;     /* drawn - wait: the call plus its frame */
  GArray *between;  /* frames drawn in the 50 ms pause after the step */
  GArray *between_cpu;
} Samples;

static void
samples_init (Samples *samples)
{
  GArray **arrays[] = { &samples->drawn, &samples->cpu, &samples->models, &samples->wait,
                        &samples->work, &samples->between, &samples->between_cpu };

  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    *arrays[i] = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
samples_clear (Samples *samples)
{
  GArray **arrays[] = { &samples->drawn, &samples->cpu, &samples->models, &samples->wait,
                        &samples->work, &samples->between, &samples->between_cpu };

  for (guint i = 0; i < G_N_ELEMENTS (arrays); i++)
    g_clear_pointer (arrays[i], g_array_unref);
}

static Stats
stats_of (GArray *samples)
{
  g_autoptr(GArray) sorted = g_array_copy (samples);
  Stats stats = { 0, 0, 0 };

  if (sorted->len == 0)
    return stats;
  g_array_sort (sorted, compare_double);
  for (guint i = 0; i < sorted->len; i++)
    stats.mean += g_array_index (sorted, double, i);
  stats.mean /= sorted->len;
  /* nearest rank */
  stats.p95 = g_array_index (sorted, double, MIN (sorted->len - 1, (guint) ((sorted->len * 95 + 99) / 100) - 1));
  stats.max = g_array_index (sorted, double, sorted->len - 1);
  return stats;
}

static void
bench_line (guint       n,
            const char *key,
            double      value,
            const char *unit)
{
  g_print ("BENCH %s_%u_%s=%.2f unit=%s\n", key_prefix, n, key, value, unit);
}

static GPtrArray *
make_contacts (guint n)
{
  GPtrArray *contacts = g_ptr_array_new_with_free_func ((GDestroyNotify) sv_contact_unref);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s %u", first_names[i % G_N_ELEMENTS (first_names)],
                                               last_names[(i / 7) % G_N_ELEMENTS (last_names)], i);
      g_autofree char *number = g_strdup_printf ("+4915%08u", i * 7919 % 100000000);

      g_ptr_array_add (contacts, sv_contact_new (1 + i / 250, 1 + i % 250, name, number, NULL, NULL, NULL));
    }
  return contacts;
}

typedef enum
{
  STEP_QUERY,
  STEP_SORT,
} StepKind;

/* One key or click: the call, then the main loop until its frame is
 * drawn, then the pause before the next step. Appends one value to each
 * array of @samples and prints the step if @label is not NULL. */
static void
measure_step (GtkWidget      *window,
              SvContactsPage *page,
              StepKind        kind,
              const char     *query,
              guint           column,
              GtkSortType     order,
              Samples        *samples,
              const char     *label)
{
  gint64 start, called;
  double cpu_start, model_ms, ms, cpu, wait, work, between, between_cpu;
  guint frames_before;

  frame_started = 0;
  cpu_start = cpu_ms ();
  start = g_get_monotonic_time ();
  if (kind == STEP_QUERY)
    sv_contacts_page_set_query (page, query);
  else
    sv_contacts_page_sort (page, column, order);
  called = g_get_monotonic_time ();
  wait_drawn (window);
  ms = ms_since (start);
  cpu = cpu_ms () - cpu_start;
  model_ms = (called - start) / 1000.0;
  /* the frame that drew the step started after the call returned */
  wait = frame_started >= called ? (frame_started - called) / 1000.0 : 0;
  work = ms - wait;

  frames_before = n_frames;
  cpu_start = cpu_ms ();
  pause_between_keys ();
  between = n_frames - frames_before;
  between_cpu = cpu_ms () - cpu_start;

  g_array_append_val (samples->drawn, ms);
  g_array_append_val (samples->cpu, cpu);
  g_array_append_val (samples->models, model_ms);
  g_array_append_val (samples->wait, wait);
  g_array_append_val (samples->work, work);
  g_array_append_val (samples->between, between);
  g_array_append_val (samples->between_cpu, between_cpu);
  if (label != NULL)
    g_print ("  %s: %.1f ms until drawn = %.1f ms waiting for the frame clock + %.1f ms work "
             "(%.1f ms CPU; %.1f ms in the models), %u shown; then %.0f frames, %.1f ms CPU before the next step\n",
             label, ms, wait, work, cpu, model_ms, g_list_model_get_n_items (sv_contacts_page_get_model (page)),
             between, between_cpu);
}

/* Types @text key by key, then erases it key by key. */
static void
type_and_erase (GtkWidget      *window,
                SvContactsPage *page,
                const char     *text,
                Samples        *samples,
                gboolean        verbose)
{
  glong n_chars = g_utf8_strlen (text, -1);

  for (glong step = 1; step <= 2 * n_chars; step++)
    {
      glong len = step <= n_chars ? step : 2 * n_chars - step;
      g_autofree char *prefix = g_utf8_substring (text, 0, len);
      g_autofree char *label = verbose ? g_strdup_printf ("filter \"%s\"", prefix) : NULL;

      measure_step (window, page, STEP_QUERY, prefix, 0, 0, samples, label);
    }
}

static void
print_samples (guint       n,
               const char *what,
               const char *key,
               Samples    *samples)
{
  Stats drawn = stats_of (samples->drawn), cpu = stats_of (samples->cpu), models = stats_of (samples->models);
  Stats wait = stats_of (samples->wait), work = stats_of (samples->work);
  Stats between = stats_of (samples->between), between_cpu = stats_of (samples->between_cpu);
  g_autofree char *k = NULL;

  g_print ("%s, %u steps: mean %.1f ms, p95 %.1f ms, max %.1f ms until drawn\n"
           "  = waiting for the frame clock's slot: mean %.1f ms\n"
           "  + work (the call and its frame): mean %.1f ms, p95 %.1f ms, max %.1f ms\n"
           "  CPU: mean %.1f ms, p95 %.1f ms; in the models: mean %.1f ms, max %.1f ms\n"
           "  between steps (50 ms): mean %.1f frames drawn, %.1f ms CPU\n",
           what, samples->drawn->len, drawn.mean, drawn.p95, drawn.max, wait.mean,
           work.mean, work.p95, work.max, cpu.mean, cpu.p95, models.mean, models.max,
           between.mean, between_cpu.mean);

#define LINE(suffix, value) \
  k = g_strconcat (key, suffix, NULL); bench_line (n, k, value, "ms"); g_clear_pointer (&k, g_free)
  LINE ("_mean_ms", drawn.mean);
  LINE ("_p95_ms", drawn.p95);
  LINE ("_max_ms", drawn.max);
  LINE ("_wait_mean_ms", wait.mean);
  LINE ("_work_mean_ms", work.mean);
  LINE ("_work_p95_ms", work.p95);
  LINE ("_models_mean_ms", models.mean);
  LINE ("_cpu_mean_ms", cpu.mean);
  LINE ("_cpu_p95_ms", cpu.p95);
  LINE ("_cpu_max_ms", cpu.max);
  LINE ("_between_cpu_ms", between_cpu.mean);
#undef LINE
  k = g_strconcat (key, "_between_frames", NULL);
  bench_line (n, k, between.mean, "frames");
}

static int
bench_list (guint n,
            guint rounds)
{
  g_autoptr(GPtrArray) contacts = NULL;
  g_autoptr(GPtrArray) reloaded = NULL;
  Samples filter, sort;
  static const struct { SvContactsColumn column; GtkSortType order; const char *label; } sorts[] = {
    { SV_CONTACTS_COLUMN_NAME, GTK_SORT_ASCENDING, "name ascending" },
    { SV_CONTACTS_COLUMN_NAME, GTK_SORT_DESCENDING, "name descending" },
    { SV_CONTACTS_COLUMN_NUMBER, GTK_SORT_ASCENDING, "number ascending" },
    { SV_CONTACTS_COLUMN_INDEX, GTK_SORT_DESCENDING, "position descending" },
    { SV_CONTACTS_COLUMN_INDEX, GTK_SORT_ASCENDING, "position ascending" },
  };
  GtkWidget *window, *page;
  SvContactsPage *contacts_page;
  gint64 start;
  double reload_sorted_ms, reload_sorted_cpu;
  double frame_ms, frame_cpu, load_ms, reload_ms, load_cpu, reload_cpu, cpu_start;
  guint64 hwm_before, hwm_after;
  Stats f, s;

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  page = sv_contacts_page_new ();
  contacts_page = SV_CONTACTS_PAGE (page);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_present (GTK_WINDOW (window));
  g_signal_connect (gtk_widget_get_frame_clock (window), "before-paint", G_CALLBACK (before_paint_cb), NULL);
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_paint_cb), NULL);
  /* Typing goes to the search entry: it has the focus, and its cursor
   * blinks as the user's settings say. */
  sv_contacts_page_focus_search (contacts_page);
  wait_drawn (window);
  pause_between_keys ();
  hwm_before = vm_hwm_kib ();

  /* The mirror hands the window a fresh array of contacts on every load. */
  contacts = make_contacts (n);
  cpu_start = cpu_ms ();
  start = g_get_monotonic_time ();
  sv_contacts_page_set_contacts (contacts_page, contacts);
  wait_drawn (window);
  load_ms = ms_since (start);
  load_cpu = cpu_ms () - cpu_start;
  pause_between_keys ();

  reloaded = make_contacts (n);
  cpu_start = cpu_ms ();
  start = g_get_monotonic_time ();
  sv_contacts_page_set_contacts (contacts_page, reloaded);
  wait_drawn (window);
  reload_ms = ms_since (start);
  reload_cpu = cpu_ms () - cpu_start;
  pause_between_keys ();
  g_clear_pointer (&contacts, g_ptr_array_unref);

  g_print ("contacts: %u\n", n);
  {
    /* The floor: a frame that changes nothing, drawn the same way. */
    g_autoptr(GArray) idle = g_array_new (FALSE, FALSE, sizeof (double));
    g_autoptr(GArray) idle_cpu = g_array_new (FALSE, FALSE, sizeof (double));

    for (guint i = 0; i < 10; i++)
      {
        double ms, cpu;

        cpu_start = cpu_ms ();
        start = g_get_monotonic_time ();
        wait_drawn (window);
        ms = ms_since (start);
        cpu = cpu_ms () - cpu_start;
        g_array_append_val (idle, ms);
        g_array_append_val (idle_cpu, cpu);
        pause_between_keys ();
      }
    frame_ms = stats_of (idle).mean;
    frame_cpu = stats_of (idle_cpu).mean;
    /* While the search entry's cursor blinks, the frame clock runs at
     * every refresh and this is mostly the wait for the next slot. */
    g_print ("a frame that changes nothing: %.1f ms until drawn (%.1f ms CPU), mean of 10\n", frame_ms, frame_cpu);
  }
  g_print ("load into the list: %.1f ms until drawn (%.1f ms CPU); reload after an edit: %.1f ms (%.1f ms CPU)\n",
           load_ms, load_cpu, reload_ms, reload_cpu);

  samples_init (&filter);
  samples_init (&sort);
  for (guint round = 0; round < rounds; round++)
    for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
      type_and_erase (window, contacts_page, searches[i], &filter, round == 0);
  print_samples (n, "filter per key", "filter", &filter);

  for (guint round = 0; round < rounds; round++)
    for (guint i = 0; i < G_N_ELEMENTS (sorts); i++)
      {
        g_autofree char *label = round == 0 ? g_strdup_printf ("sort by %s", sorts[i].label) : NULL;

        measure_step (window, contacts_page, STEP_SORT, NULL, sorts[i].column, sorts[i].order, &sort, label);
      }
  print_samples (n, "sort", "sort", &sort);
  f = stats_of (filter.drawn);
  s = stats_of (sort.drawn);

  {
    /* An edit while the list is sorted by name: the window reloads all
     * contacts from the mirror, new objects. */
    g_autoptr(GPtrArray) again = make_contacts (n);

    sv_contacts_page_sort (contacts_page, SV_CONTACTS_COLUMN_NAME, GTK_SORT_ASCENDING);
    wait_drawn (window);
    pause_between_keys ();
    cpu_start = cpu_ms ();
    start = g_get_monotonic_time ();
    sv_contacts_page_set_contacts (contacts_page, again);
    wait_drawn (window);
    reload_sorted_ms = ms_since (start);
    reload_sorted_cpu = cpu_ms () - cpu_start;
    pause_between_keys ();
    g_print ("reload after an edit, sorted by name: %.1f ms until drawn (%.1f ms CPU)\n",
             reload_sorted_ms, reload_sorted_cpu);
  }

  hwm_after = vm_hwm_kib ();
  g_print ("peak memory (VmHWM): %.1f MiB; %.1f MiB before the contacts were loaded\n",
           hwm_after / 1024.0, hwm_before / 1024.0);
  g_print ("frame budget at 60 Hz: 16.7 ms; filter per key (mean) / budget: %.2f until drawn, %.2f work; "
           "sort (mean) / budget: %.2f until drawn, %.2f work\n",
           f.mean / 16.7, stats_of (filter.work).mean / 16.7, s.mean / 16.7, stats_of (sort.work).mean / 16.7);

  bench_line (n, "frame_ms", frame_ms, "ms");
  bench_line (n, "frame_cpu_ms", frame_cpu, "ms");
  bench_line (n, "load_ms", load_ms, "ms");
  bench_line (n, "reload_ms", reload_ms, "ms");
  bench_line (n, "load_cpu_ms", load_cpu, "ms");
  bench_line (n, "reload_sorted_ms", reload_sorted_ms, "ms");
  bench_line (n, "reload_sorted_cpu_ms", reload_sorted_cpu, "ms");
  bench_line (n, "peak_rss_mib", hwm_after / 1024.0, "MiB");
  bench_line (n, "base_rss_mib", hwm_before / 1024.0, "MiB");

  samples_clear (&filter);
  samples_clear (&sort);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}

/* The child of --startup: the application as main.c starts it, quitting
 * when its first window has drawn its first frame. */
static gint64 startup_t0;

static void
first_frame_cb (GdkFrameClock *clock,
                GtkWindow     *window)
{
  GtkApplication *app = gtk_window_get_application (window);

  g_signal_handlers_disconnect_by_func (clock, first_frame_cb, window);
  g_print ("first_frame_us=%" G_GINT64_FORMAT " hwm_kib=%" G_GUINT64_FORMAT "\n",
           g_get_monotonic_time () - startup_t0, vm_hwm_kib ());
  g_application_quit (G_APPLICATION (app));
}

static void
window_realized_cb (GtkWidget *window,
                    gpointer   user_data)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (first_frame_cb), window);
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 gpointer        user_data)
{
  g_signal_connect_after (window, "realize", G_CALLBACK (window_realized_cb), NULL);
}

static void
minimal_activate_cb (GtkApplication *app,
                     gpointer        user_data)
{
  GtkWidget *window = adw_application_window_new (app);

  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), adw_status_page_new ());
  gtk_window_present (GTK_WINDOW (window));
}

static int
startup_child (gint64   t0,
               gboolean minimal)
{
  g_autoptr(GtkApplication) app = NULL;
  char *argv[] = { (char *) "simvault", NULL };

  startup_t0 = t0;
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("SimVault"));

  if (minimal)
    {
      app = GTK_APPLICATION (adw_application_new ("io.github.simvault.SimVault.BenchMinimal", G_APPLICATION_DEFAULT_FLAGS));
      g_signal_connect (app, "activate", G_CALLBACK (minimal_activate_cb), NULL);
    }
  else
    {
      app = GTK_APPLICATION (sv_application_new ());
    }
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}

static int
bench_startup (const char *self,
               guint       runs,
               gboolean    minimal)
{
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  guint64 hwm = 0;
  Stats s;

  for (guint i = 0; i < runs; i++)
    {
      g_autofree char *t0 = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_monotonic_time ());
      const char *argv[] = { self, minimal ? "--startup-minimal-child" : "--startup-child", t0, NULL };
      g_autofree char *out = NULL;
      g_autoptr(GError) error = NULL;
      const char *field;
      double ms;
      int status;

      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error) ||
          !g_spawn_check_wait_status (status, &error) ||
          (field = strstr (out, "first_frame_us=")) == NULL)
        {
          g_printerr ("sv-bench-contacts: the application did not draw a frame: %s\n",
                      error ? error->message : out);
          return 1;
        }
      ms = g_ascii_strtoull (field + strlen ("first_frame_us="), NULL, 10) / 1000.0;
      g_array_append_val (samples, ms);
      if ((field = strstr (out, "hwm_kib=")) != NULL)
        hwm = MAX (hwm, g_ascii_strtoull (field + strlen ("hwm_kib="), NULL, 10));
    }
  g_array_sort (samples, compare_double);
  s = stats_of (samples);
  g_print ("%s start to first frame, %u runs: median %.1f ms, max %.1f ms; peak memory %.1f MiB\n",
           minimal ? "empty libadwaita window" : "app", runs, g_array_index (samples, double, samples->len / 2),
           s.max, hwm / 1024.0);
  g_print ("BENCH gui_startup%s_ms=%.2f unit=ms\n", minimal ? "_minimal" : "",
           g_array_index (samples, double, samples->len / 2));
  g_print ("BENCH gui_startup%s_rss_mib=%.2f unit=MiB\n", minimal ? "_minimal" : "", hwm / 1024.0);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  if (argc > 2 && strcmp (argv[1], "--startup-child") == 0)
    return startup_child (g_ascii_strtoll (argv[2], NULL, 10), FALSE);
  if (argc > 2 && strcmp (argv[1], "--startup-minimal-child") == 0)
    return startup_child (g_ascii_strtoll (argv[2], NULL, 10), TRUE);
  if (argc > 1 && strcmp (argv[1], "--startup") == 0)
    {
      guint runs = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 5;

      return bench_startup (argv[0], runs, FALSE) || bench_startup (argv[0], runs, TRUE);
    }

  gtk_init ();
  adw_init ();
  {
    /* The application's style sheet, as AdwApplication loads it. */
    g_autoptr(GtkCssProvider) style = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (style, RESOURCE_PREFIX "/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (style),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  for (; argc > 1 && g_str_has_prefix (argv[1], "--"); argc--, argv++)
    {
      if (strcmp (argv[1], "--no-cursor-blink") == 0)
        {
          g_object_set (gtk_settings_get_default (), "gtk-cursor-blink", FALSE, NULL);
          key_prefix = "gui_noblink";
        }
      else if (strcmp (argv[1], "--variant") == 0 && argc > 2)
        {
          key_prefix = g_strconcat ("gui_", argv[2], NULL);
          argc--, argv++;
        }
      else
        {
          g_printerr ("usage: sv-bench-contacts [--no-cursor-blink] [--variant NAME] [N [ROUNDS]]\n");
          return 2;
        }
    }
  return bench_list (argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 10000,
                     argc > 2 ? MAX (1, (guint) g_ascii_strtoull (argv[2], NULL, 10)) : 3);
}
