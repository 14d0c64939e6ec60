/* A small LV2 UI host for Pianola's window: it loads
 * build/pianola.lv2/pianola_ui.so, opens it under its own Xvfb inside a
 * parent window it made, feeds port values and DSP notifications (atoms
 * forged with the URIs of plugin/uris.h), calls idle, and checks the pixels
 * it reads back with XGetImage, and what the UI writes to the ports when
 * clicked. Screenshots of each check go to ui-screenshots/ in the build dir.
 *
 * With PIANOLA_UI_SCREENSHOTS=DIR it also stages the reference pictures
 * of docs/ (ui-capture.png, ui-playing.png, ui-ensemble.png) into DIR.
 *
 * The test programs do not link X11 or cairo (see wscript), so both are
 * opened with dlopen, as the UI binary itself is. */
#define _DEFAULT_SOURCE /* usleep */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* The LV2 headers before Xlib's: Xlib defines Bool, a field of the forge. */
#include <lv2/atom/forge.h>
#include <lv2/options/options.h>
#include <lv2/ui/ui.h>
#include <lv2/urid/urid.h>

#include "../plugin/ports.h"
#include "../plugin/uris.h"
#include "../plugin/variant.h"

#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>
#include <X11/keysym.h>
#include <cairo/cairo.h>

#include "../gui/layout.h"

/* ---- Xlib and cairo, opened at run time -------------------------------- */

static struct {
    __typeof__(&XOpenDisplay) open_display;
    __typeof__(&XCloseDisplay) close_display;
    __typeof__(&XCreateSimpleWindow) create_simple_window;
    __typeof__(&XDestroyWindow) destroy_window;
    __typeof__(&XMapWindow) map_window;
    __typeof__(&XResizeWindow) resize_window;
    __typeof__(&XSync) sync;
    __typeof__(&XGetImage) get_image;
    __typeof__(&XSendEvent) send_event;
    __typeof__(&XGetWindowAttributes) get_window_attributes;
    __typeof__(&XKeysymToKeycode) keysym_to_keycode;
    __typeof__(&XGetInputFocus) get_input_focus;
    __typeof__(&XSetInputFocus) set_input_focus;
    __typeof__(&XSetErrorHandler) set_error_handler;
    __typeof__(&XMatchVisualInfo) match_visual_info;
    __typeof__(&XCreateColormap) create_colormap;
    __typeof__(&XFreeColormap) free_colormap;
    __typeof__(&XCreateWindow) create_window;
    __typeof__(&XChangeProperty) change_property;
    __typeof__(&XDeleteProperty) delete_property;
    __typeof__(&cairo_image_surface_create) image_surface_create;
    __typeof__(&cairo_image_surface_get_data) image_surface_get_data;
    __typeof__(&cairo_image_surface_get_stride) image_surface_get_stride;
    __typeof__(&cairo_surface_mark_dirty) surface_mark_dirty;
    __typeof__(&cairo_surface_flush) surface_flush;
    __typeof__(&cairo_surface_write_to_png) surface_write_to_png;
    __typeof__(&cairo_surface_destroy) surface_destroy;
} x;

static int open_libraries(char *why, size_t capacity)
{
    void *xlib = dlopen("libX11.so.6", RTLD_NOW | RTLD_GLOBAL);
    void *cairo = dlopen("libcairo.so.2", RTLD_NOW | RTLD_GLOBAL);
    if (!xlib || !cairo) {
        snprintf(why, capacity, "cannot open libX11 or libcairo: %s", dlerror());
        return -1;
    }
#define FIND(field, library, name)                                              \
    do {                                                                        \
        *(void **)&x.field = dlsym(library, name);                              \
        if (!x.field) {                                                         \
            snprintf(why, capacity, "%s lacks %s", #library, name);             \
            return -1;                                                          \
        }                                                                       \
    } while (0)
    FIND(open_display, xlib, "XOpenDisplay");
    FIND(close_display, xlib, "XCloseDisplay");
    FIND(create_simple_window, xlib, "XCreateSimpleWindow");
    FIND(destroy_window, xlib, "XDestroyWindow");
    FIND(map_window, xlib, "XMapWindow");
    FIND(resize_window, xlib, "XResizeWindow");
    FIND(sync, xlib, "XSync");
    FIND(get_image, xlib, "XGetImage");
    FIND(send_event, xlib, "XSendEvent");
    FIND(get_window_attributes, xlib, "XGetWindowAttributes");
    FIND(keysym_to_keycode, xlib, "XKeysymToKeycode");
    FIND(get_input_focus, xlib, "XGetInputFocus");
    FIND(set_input_focus, xlib, "XSetInputFocus");
    FIND(set_error_handler, xlib, "XSetErrorHandler");
    FIND(match_visual_info, xlib, "XMatchVisualInfo");
    FIND(create_colormap, xlib, "XCreateColormap");
    FIND(free_colormap, xlib, "XFreeColormap");
    FIND(create_window, xlib, "XCreateWindow");
    FIND(change_property, xlib, "XChangeProperty");
    FIND(delete_property, xlib, "XDeleteProperty");
    FIND(image_surface_create, cairo, "cairo_image_surface_create");
    FIND(image_surface_get_data, cairo, "cairo_image_surface_get_data");
    FIND(image_surface_get_stride, cairo, "cairo_image_surface_get_stride");
    FIND(surface_mark_dirty, cairo, "cairo_surface_mark_dirty");
    FIND(surface_flush, cairo, "cairo_surface_flush");
    FIND(surface_write_to_png, cairo, "cairo_surface_write_to_png");
    FIND(surface_destroy, cairo, "cairo_surface_destroy");
#undef FIND
    return 0;
}

/* ---- an X server of our own -------------------------------------------- */

static pid_t xvfb_pid;

static void stop_xvfb(void)
{
    if (xvfb_pid > 0) {
        kill(xvfb_pid, SIGTERM);
        waitpid(xvfb_pid, NULL, 0);
        xvfb_pid = 0;
    }
}

/* Starts Xvfb on a display number it picks itself (-displayfd), so tests
 * running side by side never collide, and points DISPLAY at it. A private
 * server also means no window manager, no desktop scale and nothing
 * covering the window XGetImage reads. */
static int start_xvfb(char *why, size_t capacity)
{
    const char *xvfb = "/usr/bin/Xvfb";
    if (access(xvfb, X_OK) != 0) {
        snprintf(why, capacity, "%s is not installed", xvfb);
        return -1;
    }
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) {
        snprintf(why, capacity, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, capacity, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        /* Should this test crash, its X server goes with it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(pipe_fds[0]);
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", pipe_fds[1]);
        int null_fd = open("/dev/null", O_WRONLY);
        if (null_fd >= 0) {
            dup2(null_fd, 1);
            dup2(null_fd, 2);
        }
        execl(xvfb, "Xvfb", "-displayfd", fd_text, "-screen", "0", "3400x1440x24", "-nolisten",
              "tcp", "-noreset", (char *)NULL);
        _exit(127);
    }
    close(pipe_fds[1]);
    xvfb_pid = pid;
    char number[32] = {0};
    size_t length = 0;
    while (length + 1 < sizeof number) {
        ssize_t got = read(pipe_fds[0], number + length, 1);
        if (got <= 0 || number[length] == '\n')
            break;
        length++;
    }
    close(pipe_fds[0]);
    number[length] = '\0';
    if (length == 0) {
        stop_xvfb();
        snprintf(why, capacity, "Xvfb did not report a display number");
        return -1;
    }
    char display[40];
    snprintf(display, sizeof display, ":%s", number);
    setenv("DISPLAY", display, 1);
    return 0;
}

/* ---- the host side of LV2 ------------------------------------------------ */

typedef struct {
    char *uris[128];
    uint32_t count;
} UridTable;

static LV2_URID map_uri(LV2_URID_Map_Handle handle, const char *uri)
{
    UridTable *table = (UridTable *)handle;
    for (uint32_t i = 0; i < table->count; i++)
        if (!strcmp(table->uris[i], uri))
            return i + 1;
    if (table->count == sizeof table->uris / sizeof table->uris[0])
        return 0;
    table->uris[table->count] = strdup(uri);
    return ++table->count;
}

/* One write_function call, as the DSP side would receive it. */
typedef struct {
    uint32_t port, size, format;
    float value;       /* format 0 */
    LV2_URID otype;    /* atom:eventTransfer of an object */
} Write;

typedef struct {
    Write writes[256];
    int count;
    int resized_width, resized_height;
} Recorder;

static void write_function(LV2UI_Controller controller, uint32_t port, uint32_t size,
                           uint32_t format, const void *buffer)
{
    Recorder *recorder = (Recorder *)controller;
    if (recorder->count == 256)
        return;
    Write *write = &recorder->writes[recorder->count++];
    memset(write, 0, sizeof *write);
    write->port = port;
    write->size = size;
    write->format = format;
    if (format == 0 && size == sizeof(float))
        memcpy(&write->value, buffer, sizeof(float));
    else if (format != 0 && size >= sizeof(LV2_Atom_Object))
        write->otype = ((const LV2_Atom_Object *)buffer)->body.otype;
}

static int host_resize(LV2UI_Feature_Handle handle, int width, int height)
{
    Recorder *recorder = (Recorder *)handle;
    recorder->resized_width = width;
    recorder->resized_height = height;
    return 0;
}

/* ui:requestValue: what the window asked the host for (a file dialog). */
static struct {
    int count;
    LV2_URID key, type;
} requested;

static LV2UI_Request_Value_Status request_value(LV2UI_Feature_Handle handle, LV2_URID key,
                                                LV2_URID type,
                                                const LV2_Feature *const *features)
{
    (void)handle;
    (void)features;
    requested.count++;
    requested.key = key;
    requested.type = type;
    return LV2UI_REQUEST_VALUE_SUCCESS;
}

/* X errors on any connection, the UI's included (the handler is process
 * wide): every one is a failure of whichever test caused it. */
static int x_errors;
static unsigned char x_error_request;
static unsigned char x_error_code;

static int record_x_error(Display *display, XErrorEvent *error)
{
    (void)display;
    x_errors++;
    x_error_request = error->request_code;
    x_error_code = error->error_code;
    return 0;
}

/* Shared by every test: the loaded binary, the X connection, the URIDs. */
static struct {
    const LV2UI_Descriptor *descriptor;
    Display *display;
    UridTable urids;
    LV2_URID_Map map;
    LV2_URID atom_eventTransfer, UiOn, UiOff;
    const char *screenshots;
    float scale_factor; /* > 0: offered as the ui:scaleFactor option */
    const char *plugin_uri; /* the plugin the window opens for; NULL: the piano */
    char bundle_path[1024]; /* the binary's folder, as a host names the UI's bundle */
} host;

static LV2_URID urid(const char *uri)
{
    return map_uri(&host.urids, uri);
}

/* One open window. */
typedef struct {
    Recorder recorder;
    Window parent, widget;
    LV2UI_Handle handle;
    const LV2UI_Idle_Interface *idle;
    LV2UI_Resize resize; /* the UI may keep it as long as it lives */
    LV2_Atom_Forge forge;
    uint8_t atom_buffer[512];
    int width, height;
    XImage *image;
    Colormap colormap; /* an ARGB parent's */
} Ui;

/* The parent as hosts make it: the screen's default visual, or a 32-bit
 * ARGB one as GTK hosts (suil) may use. */
typedef enum { PARENT_DEFAULT, PARENT_ARGB } ParentKind;

static Window create_parent(ParentKind kind, Colormap *colormap)
{
    int screen = DefaultScreen(host.display);
    Window root = RootWindow(host.display, screen);
    XVisualInfo argb;
    if (kind == PARENT_ARGB && x.match_visual_info(host.display, screen, 32, TrueColor, &argb)) {
        XSetWindowAttributes attributes;
        memset(&attributes, 0, sizeof attributes);
        *colormap = x.create_colormap(host.display, root, argb.visual, AllocNone);
        attributes.colormap = *colormap;
        return x.create_window(host.display, root, 0, 0, PNL_UI_DEFAULT_WIDTH * 2,
                               PNL_UI_DEFAULT_HEIGHT * 2, 0, 32, InputOutput, argb.visual,
                               CWColormap | CWBorderPixel | CWBackPixel, &attributes);
    }
    return x.create_simple_window(host.display, root, 0, 0, PNL_UI_DEFAULT_WIDTH * 2,
                                  PNL_UI_DEFAULT_HEIGHT * 2, 0, 0, 0);
}

static int open_ui_in(Ui *ui, int map_parent, ParentKind kind)
{
    memset(ui, 0, sizeof *ui);
    ui->parent = create_parent(kind, &ui->colormap);
    x.sync(host.display, False); /* the UI's own connection must find it */
    ui->resize.handle = &ui->recorder;
    ui->resize.ui_resize = host_resize;
    LV2_Feature map_feature = {LV2_URID__map, &host.map};
    LV2_Feature parent_feature = {LV2_UI__parent, (void *)(uintptr_t)ui->parent};
    LV2_Feature resize_feature = {LV2_UI__resize, &ui->resize};
    LV2_Feature idle_feature = {LV2_UI__idleInterface, NULL};
    static LV2UI_Request_Value request = {NULL, request_value};
    LV2_Feature request_feature = {LV2_UI__requestValue, &request};
    /* ui:scaleFactor, when the test sets host.scale_factor, as hosts that
     * know the desktop's scale pass it. */
    LV2_Options_Option options[] = {
        {LV2_OPTIONS_INSTANCE, 0, urid(LV2_UI__scaleFactor), sizeof(float),
         urid(LV2_ATOM__Float), &host.scale_factor},
        {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL},
    };
    LV2_Feature options_feature = {LV2_OPTIONS__options, options};
    const LV2_Feature *features[] = {&map_feature,     &parent_feature,
                                     &resize_feature,  &idle_feature,
                                     &request_feature, host.scale_factor > 0 ? &options_feature
                                                                             : NULL,
                                     NULL};
    LV2UI_Widget widget = NULL;
    ui->handle = host.descriptor->instantiate(host.descriptor,
                                              host.plugin_uri ? host.plugin_uri : PIANOLA_URI,
                                              host.bundle_path, write_function, &ui->recorder,
                                              &widget,
                                              features);
    if (!ui->handle)
        return -1;
    ui->widget = (Window)(uintptr_t)widget;
    ui->idle = (const LV2UI_Idle_Interface *)host.descriptor->extension_data(
        LV2_UI__idleInterface);
    ui->width = ui->recorder.resized_width;
    ui->height = ui->recorder.resized_height;
    lv2_atom_forge_init(&ui->forge, &host.map);
    if (map_parent)
        x.map_window(host.display, ui->parent);
    x.sync(host.display, False);
    return 0;
}

static int open_ui(Ui *ui, int map_parent)
{
    return open_ui_in(ui, map_parent, PARENT_DEFAULT);
}

static void close_ui(Ui *ui)
{
    if (ui->image)
        XDestroyImage(ui->image);
    ui->image = NULL;
    if (ui->handle)
        host.descriptor->cleanup(ui->handle);
    ui->handle = NULL;
    x.destroy_window(host.display, ui->parent);
    if (ui->colormap)
        x.free_colormap(host.display, ui->colormap);
    x.sync(host.display, False);
}

/* Lets the UI handle its X events and repaint, as a host's idle timer would. */
static void pump(Ui *ui)
{
    for (int i = 0; i < 4; i++) {
        usleep(20000);
        ui->idle->idle(ui->handle);
    }
}

static void set_port(Ui *ui, int port, float value)
{
    host.descriptor->port_event(ui->handle, (uint32_t)port, sizeof value, 0, &value);
}

static void send_atom(Ui *ui, const LV2_Atom *atom)
{
    host.descriptor->port_event(ui->handle, PNL_PORT_NOTIFY_OUT, lv2_atom_total_size(atom),
                                host.atom_eventTransfer, atom);
}

/* A pianola:Note of an ensemble's part; part -1 sends none, as a DSP
 * from before ensembles did (the note is the piano's). */
static void send_part_note(Ui *ui, int pitch, int velocity, double onset_beats,
                           double duration_beats, int origin, int part)
{
    LV2_Atom_Forge *forge = &ui->forge;
    LV2_Atom_Forge_Frame frame;
    lv2_atom_forge_set_buffer(forge, ui->atom_buffer, sizeof ui->atom_buffer);
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &frame, 0, urid(PIANOLA__Note));
    lv2_atom_forge_key(forge, urid(PIANOLA__pitch));
    lv2_atom_forge_int(forge, pitch);
    lv2_atom_forge_key(forge, urid(PIANOLA__velocity));
    lv2_atom_forge_int(forge, velocity);
    lv2_atom_forge_key(forge, urid(PIANOLA__onsetBeats));
    lv2_atom_forge_double(forge, onset_beats);
    lv2_atom_forge_key(forge, urid(PIANOLA__durationBeats));
    lv2_atom_forge_double(forge, duration_beats);
    lv2_atom_forge_key(forge, urid(PIANOLA__origin));
    lv2_atom_forge_int(forge, origin);
    if (part >= 0) {
        lv2_atom_forge_key(forge, urid(PIANOLA__part));
        lv2_atom_forge_int(forge, part);
    }
    lv2_atom_forge_pop(forge, &frame);
    send_atom(ui, lv2_atom_forge_deref(forge, ref));
}

static void send_note(Ui *ui, int pitch, int velocity, double onset_beats, double duration_beats,
                      int origin)
{
    send_part_note(ui, pitch, velocity, onset_beats, duration_beats, origin, -1);
}

static void send_playhead(Ui *ui, double beats, double bpm, double beats_per_bar, int host_time)
{
    LV2_Atom_Forge *forge = &ui->forge;
    LV2_Atom_Forge_Frame frame;
    lv2_atom_forge_set_buffer(forge, ui->atom_buffer, sizeof ui->atom_buffer);
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &frame, 0, urid(PIANOLA__Playhead));
    lv2_atom_forge_key(forge, urid(PIANOLA__beats));
    lv2_atom_forge_double(forge, beats);
    lv2_atom_forge_key(forge, urid(PIANOLA__bpm));
    lv2_atom_forge_double(forge, bpm);
    lv2_atom_forge_key(forge, urid(PIANOLA__beatsPerBar));
    lv2_atom_forge_double(forge, beats_per_bar);
    lv2_atom_forge_key(forge, urid(PIANOLA__hostTime));
    lv2_atom_forge_bool(forge, host_time);
    lv2_atom_forge_pop(forge, &frame);
    send_atom(ui, lv2_atom_forge_deref(forge, ref));
}

static void send_capture(Ui *ui, int state, int notes)
{
    LV2_Atom_Forge *forge = &ui->forge;
    LV2_Atom_Forge_Frame frame;
    lv2_atom_forge_set_buffer(forge, ui->atom_buffer, sizeof ui->atom_buffer);
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &frame, 0, urid(PIANOLA__Capture));
    lv2_atom_forge_key(forge, urid(PIANOLA__captureState));
    lv2_atom_forge_int(forge, state);
    lv2_atom_forge_key(forge, urid(PIANOLA__captureNotes));
    lv2_atom_forge_int(forge, notes);
    lv2_atom_forge_pop(forge, &frame);
    send_atom(ui, lv2_atom_forge_deref(forge, ref));
}

/* patch:Set of a path property, as the DSP tells the window its files. */
static void send_path(Ui *ui, const char *property_uri, const char *path)
{
    LV2_Atom_Forge *forge = &ui->forge;
    LV2_Atom_Forge_Frame frame;
    lv2_atom_forge_set_buffer(forge, ui->atom_buffer, sizeof ui->atom_buffer);
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &frame, 0, urid(LV2_PATCH__Set));
    lv2_atom_forge_key(forge, urid(LV2_PATCH__property));
    lv2_atom_forge_urid(forge, urid(property_uri));
    lv2_atom_forge_key(forge, urid(LV2_PATCH__value));
    lv2_atom_forge_path(forge, path, (uint32_t)strlen(path));
    lv2_atom_forge_pop(forge, &frame);
    send_atom(ui, lv2_atom_forge_deref(forge, ref));
}

static void send_soundfont(Ui *ui, const char *path)
{
    send_path(ui, PIANOLA__soundfont, path);
}

static void send_model(Ui *ui, const char *path)
{
    send_path(ui, PIANOLA__model, path);
}

static void send_text_message(Ui *ui, const char *text)
{
    LV2_Atom_Forge *forge = &ui->forge;
    LV2_Atom_Forge_Frame frame;
    lv2_atom_forge_set_buffer(forge, ui->atom_buffer, sizeof ui->atom_buffer);
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &frame, 0, urid(PIANOLA__Message));
    lv2_atom_forge_key(forge, urid(PIANOLA__text));
    lv2_atom_forge_string(forge, text, (uint32_t)strlen(text));
    lv2_atom_forge_pop(forge, &frame);
    send_atom(ui, lv2_atom_forge_deref(forge, ref));
}

static void send_cut(Ui *ui, double onset_beats)
{
    LV2_Atom_Forge *forge = &ui->forge;
    LV2_Atom_Forge_Frame frame;
    lv2_atom_forge_set_buffer(forge, ui->atom_buffer, sizeof ui->atom_buffer);
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &frame, 0, urid(PIANOLA__Cut));
    lv2_atom_forge_key(forge, urid(PIANOLA__onsetBeats));
    lv2_atom_forge_double(forge, onset_beats);
    lv2_atom_forge_pop(forge, &frame);
    send_atom(ui, lv2_atom_forge_deref(forge, ref));
}

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec + now.tv_nsec * 1e-9;
}

/* ---- reading pixels back ------------------------------------------------ */

typedef struct {
    int red, green, blue;
} Pixel;

/* Reads the window back; with a name, also saves it as a PNG. */
static int grab(Ui *ui, const char *name)
{
    if (ui->image)
        XDestroyImage(ui->image);
    x.sync(host.display, False);
    ui->image = x.get_image(host.display, ui->widget, 0, 0, (unsigned)ui->width,
                            (unsigned)ui->height, AllPlanes, ZPixmap);
    if (!ui->image)
        return -1;
    if (!name || !host.screenshots)
        return 0;
    cairo_surface_t *surface =
        x.image_surface_create(CAIRO_FORMAT_RGB24, ui->width, ui->height);
    x.surface_flush(surface);
    unsigned char *data = x.image_surface_get_data(surface);
    int stride = x.image_surface_get_stride(surface);
    for (int row = 0; row < ui->height; row++)
        for (int column = 0; column < ui->width; column++) {
            unsigned long value = XGetPixel(ui->image, column, row);
            uint32_t rgb = (uint32_t)(value & 0xffffff);
            memcpy(data + row * stride + column * 4, &rgb, 4);
        }
    x.surface_mark_dirty(surface);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.png", host.screenshots, name);
    x.surface_write_to_png(surface, path);
    x.surface_destroy(surface);
    return 0;
}

static Pixel pixel_at(const Ui *ui, double px, double py)
{
    Pixel pixel = {-1, -1, -1};
    int column = (int)floor(px), row = (int)floor(py);
    if (!ui->image || column < 0 || row < 0 || column >= ui->width || row >= ui->height)
        return pixel;
    unsigned long value = XGetPixel(ui->image, column, row);
    pixel.red = (int)((value >> 16) & 0xff);
    pixel.green = (int)((value >> 8) & 0xff);
    pixel.blue = (int)(value & 0xff);
    return pixel;
}

static int brightness(Pixel pixel)
{
    return pixel.red + pixel.green + pixel.blue;
}

#define PIXEL_FORMAT "rgb(%d, %d, %d)"
#define PIXEL_ARGS(p) (p).red, (p).green, (p).blue

static void layout_of(const Ui *ui, PnlUiLayout *layout)
{
    pnl_ui_layout_compute(layout, ui->width, ui->height, 1.0);
}

static const Write *last_write_to(const Ui *ui, int port)
{
    for (int i = ui->recorder.count - 1; i >= 0; i--)
        if (ui->recorder.writes[i].port == (uint32_t)port && ui->recorder.writes[i].format == 0)
            return &ui->recorder.writes[i];
    return NULL;
}

static int writes_to(const Ui *ui, int port)
{
    int count = 0;
    for (int i = 0; i < ui->recorder.count; i++)
        count += ui->recorder.writes[i].port == (uint32_t)port;
    return count;
}

/* A click as the X server would deliver it to the UI's window. */
static void click(Ui *ui, double px, double py)
{
    for (int press = 1; press >= 0; press--) {
        XEvent event;
        memset(&event, 0, sizeof event);
        event.xbutton.type = press ? ButtonPress : ButtonRelease;
        event.xbutton.display = host.display;
        event.xbutton.window = ui->widget;
        event.xbutton.root = RootWindow(host.display, DefaultScreen(host.display));
        event.xbutton.x = (int)px;
        event.xbutton.y = (int)py;
        event.xbutton.button = Button1;
        event.xbutton.same_screen = True;
        event.xbutton.state = press ? 0 : Button1Mask;
        x.send_event(host.display, ui->widget, False,
                     press ? ButtonPressMask : ButtonReleaseMask, &event);
    }
    x.sync(host.display, False);
}

/* A press, a drag of dy pixels (negative: up) and a release, or with
 * button 4/5 a turn of the wheel. */
static void press_drag_release(Ui *ui, double px, double py, double dy)
{
    XEvent event;
    memset(&event, 0, sizeof event);
    event.xbutton.type = ButtonPress;
    event.xbutton.display = host.display;
    event.xbutton.window = ui->widget;
    event.xbutton.x = (int)px;
    event.xbutton.y = (int)py;
    event.xbutton.button = Button1;
    event.xbutton.same_screen = True;
    x.send_event(host.display, ui->widget, False, ButtonPressMask, &event);
    for (int step = 1; step <= 4; step++) {
        XEvent motion;
        memset(&motion, 0, sizeof motion);
        motion.xmotion.type = MotionNotify;
        motion.xmotion.display = host.display;
        motion.xmotion.window = ui->widget;
        motion.xmotion.x = (int)px;
        motion.xmotion.y = (int)(py + dy * step / 4);
        motion.xmotion.state = Button1Mask;
        motion.xmotion.same_screen = True;
        x.send_event(host.display, ui->widget, False, PointerMotionMask, &motion);
    }
    event.xbutton.type = ButtonRelease;
    event.xbutton.y = (int)(py + dy);
    event.xbutton.state = Button1Mask;
    x.send_event(host.display, ui->widget, False, ButtonReleaseMask, &event);
    x.sync(host.display, False);
}

static void wheel(Ui *ui, double px, double py, unsigned button)
{
    XEvent event;
    memset(&event, 0, sizeof event);
    event.xbutton.type = ButtonPress;
    event.xbutton.display = host.display;
    event.xbutton.window = ui->widget;
    event.xbutton.x = (int)px;
    event.xbutton.y = (int)py;
    event.xbutton.button = button;
    event.xbutton.same_screen = True;
    x.send_event(host.display, ui->widget, False, ButtonPressMask, &event);
    x.sync(host.display, False);
}

static void type_key(Ui *ui, KeySym symbol)
{
    XEvent event;
    memset(&event, 0, sizeof event);
    event.xkey.type = KeyPress;
    event.xkey.display = host.display;
    event.xkey.window = ui->widget;
    event.xkey.root = RootWindow(host.display, DefaultScreen(host.display));
    event.xkey.keycode = x.keysym_to_keycode(host.display, symbol);
    event.xkey.same_screen = True;
    x.send_event(host.display, ui->widget, False, KeyPressMask, &event);
    x.sync(host.display, False);
}

/* ---- the tests ---------------------------------------------------------- */

static void test_ui_says_hello_and_goodbye_to_the_dsp(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    int on = 0;
    for (int i = 0; i < ui.recorder.count; i++)
        on += ui.recorder.writes[i].port == PNL_PORT_CONTROL_IN &&
              ui.recorder.writes[i].format == host.atom_eventTransfer &&
              ui.recorder.writes[i].otype == host.UiOn;
    Recorder *recorder = &ui.recorder;
    host.descriptor->cleanup(ui.handle);
    ui.handle = NULL;
    int off = 0;
    for (int i = 0; i < recorder->count; i++)
        off += recorder->writes[i].port == PNL_PORT_CONTROL_IN &&
               recorder->writes[i].format == host.atom_eventTransfer &&
               recorder->writes[i].otype == host.UiOff;
    close_ui(&ui);
    CHECK(on == 1, "expected one pianola:UiOn on the control port when opened, got %d", on);
    CHECK(off == 1, "expected one pianola:UiOff on the control port when closed, got %d", off);
}

static void test_ui_takes_the_hosts_scale_factor(void)
{
    host.scale_factor = 1.5f;
    Ui ui;
    int opened = open_ui(&ui, 1);
    host.scale_factor = 0;
    CHECK(opened == 0, "instantiate returned NULL with ui:scaleFactor 1.5");
    int width = ui.width, height = ui.height;
    close_ui(&ui);
    CHECK(width == PNL_UI_DEFAULT_WIDTH * 3 / 2 && height == PNL_UI_DEFAULT_HEIGHT * 3 / 2,
          "expected ui:resize %dx%d at ui:scaleFactor 1.5, got %dx%d",
          PNL_UI_DEFAULT_WIDTH * 3 / 2, PNL_UI_DEFAULT_HEIGHT * 3 / 2, width, height);
}

static void test_ui_scales_with_the_desktops_xft_dpi(void)
{
    /* Desktops publish their font resolution in the root window's
     * RESOURCE_MANAGER; 192 dpi is twice the 96 dpi baseline. */
    Window root = RootWindow(host.display, DefaultScreen(host.display));
    static const char resources[] = "Xft.dpi:\t192\n";
    x.change_property(host.display, root, XA_RESOURCE_MANAGER, XA_STRING, 8, PropModeReplace,
                      (const unsigned char *)resources, (int)strlen(resources));
    x.sync(host.display, False);
    Ui ui;
    int opened = open_ui(&ui, 1);
    x.delete_property(host.display, root, XA_RESOURCE_MANAGER);
    x.sync(host.display, False);
    CHECK(opened == 0, "instantiate returned NULL with Xft.dpi 192");
    int width = ui.width, height = ui.height;
    close_ui(&ui);
    CHECK(width == 2 * PNL_UI_DEFAULT_WIDTH && height == 2 * PNL_UI_DEFAULT_HEIGHT,
          "expected ui:resize %dx%d at Xft.dpi 192, got %dx%d", 2 * PNL_UI_DEFAULT_WIDTH,
          2 * PNL_UI_DEFAULT_HEIGHT, width, height);
}

static void test_ui_tells_the_host_its_size_at_its_scale(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    int width = ui.width, height = ui.height;
    close_ui(&ui);
    CHECK(width == PNL_UI_DEFAULT_WIDTH && height == PNL_UI_DEFAULT_HEIGHT,
          "expected ui:resize %dx%d at scale 1, got %dx%d", PNL_UI_DEFAULT_WIDTH,
          PNL_UI_DEFAULT_HEIGHT, width, height);

    setenv("GDK_SCALE", "2", 1);
    int opened = open_ui(&ui, 1);
    unsetenv("GDK_SCALE");
    CHECK(opened == 0, "instantiate returned NULL with GDK_SCALE=2");
    pump(&ui);
    XWindowAttributes attributes;
    x.get_window_attributes(host.display, ui.widget, &attributes);
    width = ui.width;
    height = ui.height;
    PnlUiLayout layout;
    pnl_ui_layout_compute(&layout, width, height, 2.0);
    grab(&ui, "scale-2");
    /* At twice the scale the capture button is twice as far in and wide. */
    Pixel inside = pixel_at(&ui, layout.capture.x + layout.capture.width - 12,
                            layout.capture.y + layout.capture.height / 2);
    close_ui(&ui);
    CHECK(width == 2 * PNL_UI_DEFAULT_WIDTH && height == 2 * PNL_UI_DEFAULT_HEIGHT,
          "expected ui:resize %dx%d with GDK_SCALE=2, got %dx%d", 2 * PNL_UI_DEFAULT_WIDTH,
          2 * PNL_UI_DEFAULT_HEIGHT, width, height);
    CHECK(attributes.width == width && attributes.height == height,
          "expected the window to be %dx%d, it is %dx%d", width, height, attributes.width,
          attributes.height);
    CHECK(inside.red > 25 && inside.red < 50 && abs(inside.red - inside.blue) < 16,
          "expected the capture button's grey face at scale 2, got " PIXEL_FORMAT,
          PIXEL_ARGS(inside));
}

/* The knob's indicator is an ivory line from the centre toward the rim at
 * the value's angle: sample halfway along it. */
static Pixel indicator_pixel(const Ui *ui, const PnlUiLayout *layout, double normalised)
{
    double centre_x, centre_y, radius;
    pnl_knob_dial(layout->knob[PNL_KNOB_TEMPERATURE], layout->scale, &centre_x, &centre_y,
                  &radius);
    double angle = pnl_knob_angle(normalised);
    return pixel_at(ui, centre_x + cos(angle) * radius * 0.6,
                    centre_y + sin(angle) * radius * 0.6);
}

static void test_temperature_knob_turns_with_its_port(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);

    set_port(&ui, PNL_PORT_TEMPERATURE, 0.2f); /* 0.1 of the range 0..2 */
    pump(&ui);
    grab(&ui, "temperature-0.2");
    Pixel low_at_low = indicator_pixel(&ui, &layout, 0.1);
    Pixel high_at_low = indicator_pixel(&ui, &layout, 0.9);

    set_port(&ui, PNL_PORT_TEMPERATURE, 1.8f);
    pump(&ui);
    grab(&ui, "temperature-1.8");
    Pixel low_at_high = indicator_pixel(&ui, &layout, 0.1);
    Pixel high_at_high = indicator_pixel(&ui, &layout, 0.9);
    close_ui(&ui);

    CHECK(brightness(low_at_low) > 500,
          "temperature 0.2: expected the ivory indicator at 10%% of the sweep, got " PIXEL_FORMAT,
          PIXEL_ARGS(low_at_low));
    CHECK(brightness(high_at_low) < 300,
          "temperature 0.2: expected the dark knob cap at 90%% of the sweep, got " PIXEL_FORMAT,
          PIXEL_ARGS(high_at_low));
    CHECK(brightness(high_at_high) > 500,
          "temperature 1.8: expected the indicator at 90%% of the sweep, got " PIXEL_FORMAT,
          PIXEL_ARGS(high_at_high));
    CHECK(brightness(low_at_high) < 300,
          "temperature 1.8: expected the dark knob cap at 10%% of the sweep, got " PIXEL_FORMAT,
          PIXEL_ARGS(low_at_high));
}

/* The centre of the note pitch/onset..onset+duration in the roll, for a
 * playhead standing at playhead_beats in 4/4, with the default C2..C6 rows. */
static void note_centre(const PnlUiLayout *layout, double playhead_beats, int pitch,
                        double onset_beats, double duration_beats, double *px, double *py)
{
    double left = pnl_roll_beat_x(layout->notes, playhead_beats, 4, onset_beats);
    double right = pnl_roll_beat_x(layout->notes, playhead_beats, 4, onset_beats + duration_beats);
    double top = pnl_roll_pitch_y(layout->notes, PNL_ROLL_LOWEST_DEFAULT,
                                  PNL_ROLL_HIGHEST_DEFAULT, pitch);
    double row = pnl_roll_row_height(layout->notes, PNL_ROLL_LOWEST_DEFAULT,
                                     PNL_ROLL_HIGHEST_DEFAULT);
    *px = (left + right) / 2;
    *py = top + row / 2;
}

/* The window's pixel at that note's centre. */
static Pixel note_pixel(const Ui *ui, const PnlUiLayout *layout, double playhead_beats,
                        int pitch, double onset_beats, double duration_beats)
{
    double px, py;
    note_centre(layout, playhead_beats, pitch, onset_beats, duration_beats, &px, &py);
    return pixel_at(ui, px, py);
}

static int is_teal(Pixel pixel)
{
    return pixel.green > pixel.red + 40 && pixel.blue > pixel.red + 40 && pixel.green > 100;
}

static int is_amber(Pixel pixel)
{
    return pixel.red > pixel.blue + 80 && pixel.red > 150;
}

static void test_notes_appear_at_their_pitch_rows(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    send_playhead(&ui, 8.0, 120.0, 4.0, 1);
    send_note(&ui, 67, 127, 4.0, 1.5, PNL_ORIGIN_PROMPT);
    send_note(&ui, 60, 127, 6.0, 1.0, PNL_ORIGIN_GENERATED);
    send_note(&ui, 72, 127, 9.0, 1.0, PNL_ORIGIN_GENERATED); /* the lookahead */
    pump(&ui);
    grab(&ui, "notes");

    double px, py;
    note_centre(&layout, 8.0, 60, 6.0, 1.0, &px, &py);
    Pixel generated = pixel_at(&ui, px, py);
    double row = pnl_roll_row_height(layout.notes, PNL_ROLL_LOWEST_DEFAULT,
                                     PNL_ROLL_HIGHEST_DEFAULT);
    Pixel two_rows_up = pixel_at(&ui, px, py - 2 * row);
    Pixel two_rows_down = pixel_at(&ui, px, py + 2 * row);
    note_centre(&layout, 8.0, 67, 4.0, 1.5, &px, &py);
    Pixel prompt = pixel_at(&ui, px, py);
    double pixels_per_beat = layout.notes.width / pnl_roll_visible_beats(4);
    Pixel prompt_later = pixel_at(&ui, px + 1.5 * pixels_per_beat, py);
    note_centre(&layout, 8.0, 72, 9.0, 1.0, &px, &py);
    Pixel ahead = pixel_at(&ui, px, py);
    close_ui(&ui);

    CHECK(is_teal(generated), "expected a teal generated note at C4, got " PIXEL_FORMAT,
          PIXEL_ARGS(generated));
    CHECK(brightness(two_rows_up) < 120 && brightness(two_rows_down) < 120,
          "expected empty rows at D4 and A#3 beside the C4 note, got " PIXEL_FORMAT
          " and " PIXEL_FORMAT,
          PIXEL_ARGS(two_rows_up), PIXEL_ARGS(two_rows_down));
    CHECK(is_amber(prompt), "expected an amber prompt note at G4, got " PIXEL_FORMAT,
          PIXEL_ARGS(prompt));
    CHECK(brightness(prompt_later) < 120,
          "expected the G4 prompt note to end after 1.5 beats, got " PIXEL_FORMAT " after it",
          PIXEL_ARGS(prompt_later));
    CHECK(is_teal(ahead),
          "expected the lookahead note at C5 beyond the playhead, got " PIXEL_FORMAT,
          PIXEL_ARGS(ahead));
}

/* The hues of widgets.c's parts, told apart by which channels lead. */
static int is_violet(Pixel pixel)
{
    return pixel.blue > pixel.green + 60 && pixel.red > pixel.green + 20 && pixel.blue > 150;
}

static int is_yellow(Pixel pixel)
{
    return pixel.red > pixel.blue + 80 && pixel.green > pixel.blue + 80 &&
           abs(pixel.red - pixel.green) < 40;
}

/* Pixels of a hue in the strip along the roll's foot, where the legend is. */
static int legend_pixels(const Ui *ui, const PnlUiLayout *layout, int (*hue)(Pixel))
{
    int count = 0;
    double bottom = layout->notes.y + layout->notes.height;
    for (double row = bottom - 20; row < bottom - 2; row++)
        for (double column = layout->notes.x + layout->notes.width - 600;
             column < layout->notes.x + layout->notes.width; column++)
            count += hue(pixel_at(ui, column, row));
    return count;
}

/* A string quartet with the piano's notes beside it: each part in its own
 * hue, the piano's as in solo piano, and the legend names the parts. */
static void test_each_part_of_an_ensemble_has_its_colour(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    send_playhead(&ui, 8.0, 120.0, 4.0, 1);
    pump(&ui);
    grab(&ui, "solo-piano-legend");
    int violet_legend_solo = legend_pixels(&ui, &layout, is_violet);

    set_port(&ui, PNL_PORT_ENSEMBLE, 3.0f);
    send_part_note(&ui, 76, 127, 5.0, 2.0, PNL_ORIGIN_GENERATED, PNL_PART_VIOLIN_1);
    send_part_note(&ui, 60, 127, 5.0, 2.0, PNL_ORIGIN_GENERATED, PNL_PART_PIANO);
    send_part_note(&ui, 43, 127, 5.0, 2.0, PNL_ORIGIN_GENERATED, PNL_PART_CELLO);
    /* The violin's unison with the piano is a note of its own. */
    send_part_note(&ui, 64, 127, 6.0, 1.0, PNL_ORIGIN_GENERATED, PNL_PART_PIANO);
    send_part_note(&ui, 64, 127, 6.0, 1.0, PNL_ORIGIN_GENERATED, PNL_PART_VIOLIN_1);
    /* A part past the roles is nonsense: dropped, not drawn as a piano note. */
    send_part_note(&ui, 69, 127, 5.0, 2.0, PNL_ORIGIN_GENERATED, PNL_PART_COUNT);
    pump(&ui);
    grab(&ui, "string-quartet");
    Pixel violin = note_pixel(&ui, &layout, 8.0, 76, 5.0, 2.0);
    Pixel piano = note_pixel(&ui, &layout, 8.0, 60, 5.0, 2.0);
    Pixel cello = note_pixel(&ui, &layout, 8.0, 43, 5.0, 2.0);
    Pixel unison = note_pixel(&ui, &layout, 8.0, 64, 6.0, 1.0);
    Pixel nonsense = note_pixel(&ui, &layout, 8.0, 69, 5.0, 2.0);
    int violet_legend_quartet = legend_pixels(&ui, &layout, is_violet);
    int yellow_legend_quartet = legend_pixels(&ui, &layout, is_yellow);
    close_ui(&ui);

    CHECK(is_violet(violin) && !is_teal(violin),
          "expected the violin I note at E5 in the violin's violet, got " PIXEL_FORMAT,
          PIXEL_ARGS(violin));
    CHECK(is_teal(piano),
          "expected the piano's note at C4 in the composed teal, got " PIXEL_FORMAT,
          PIXEL_ARGS(piano));
    CHECK(is_yellow(cello),
          "expected the cello's note at G2 in the cello's yellow, got " PIXEL_FORMAT,
          PIXEL_ARGS(cello));
    CHECK(is_violet(unison),
          "expected the violin's unison with the piano at E4 kept (violet, drawn last), got "
          PIXEL_FORMAT, PIXEL_ARGS(unison));
    CHECK(brightness(nonsense) < 120,
          "expected a note of part %d dropped, got " PIXEL_FORMAT " at A4", PNL_PART_COUNT,
          PIXEL_ARGS(nonsense));
    CHECK(violet_legend_solo == 0 && violet_legend_quartet > 20 && yellow_legend_quartet > 20,
          "expected the legend to show the violin's and the cello's colours for the quartet "
          "(%d violet, %d yellow pixels) and no violet for solo piano (%d)",
          violet_legend_quartet, yellow_legend_quartet, violet_legend_solo);
}

/* The Ensemble and Melody knobs turn in whole choices, write their ports,
 * and show the choice's name; the melody's is faint but for Melody and piano. */
static void test_ensemble_and_melody_knobs_write_their_ports(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    set_port(&ui, PNL_PORT_ENSEMBLE, 0.0f);
    set_port(&ui, PNL_PORT_MELODY_INSTRUMENT, 0.0f);
    pump(&ui);
    double centre_x, centre_y, radius;
    pnl_knob_dial(layout.knob[PNL_KNOB_MELODY_INSTRUMENT], 1.0, &centre_x, &centre_y, &radius);
    /* The indicator at the sweep's start, the oboe: faint while not heard. */
    double angle = pnl_knob_angle(0);
    double indicator_x = centre_x + cos(angle) * radius * 0.6;
    double indicator_y = centre_y + sin(angle) * radius * 0.6;
    grab(&ui, "melody-faint");
    Pixel faint = pixel_at(&ui, indicator_x, indicator_y);

    pnl_knob_dial(layout.knob[PNL_KNOB_ENSEMBLE], 1.0, &centre_x, &centre_y, &radius);
    wheel(&ui, centre_x, centre_y, Button4);
    pump(&ui);
    const Write *ensemble = last_write_to(&ui, PNL_PORT_ENSEMBLE);
    float one_notch = ensemble ? ensemble->value : -1.0f;
    /* Three quarters of the travel up from Violin and piano: to Melody and piano (4). */
    press_drag_release(&ui, centre_x, centre_y, -120);
    pump(&ui);
    ensemble = last_write_to(&ui, PNL_PORT_ENSEMBLE);
    float dragged = ensemble ? ensemble->value : -1.0f;
    /* Move the pointer away, so the melody knob is not lit by a hover. */
    pnl_knob_dial(layout.knob[PNL_KNOB_MELODY_INSTRUMENT], 1.0, &centre_x, &centre_y, &radius);
    grab(&ui, "melody-heard");
    Pixel heard = pixel_at(&ui, indicator_x, indicator_y);
    wheel(&ui, centre_x, centre_y, Button4);
    wheel(&ui, centre_x, centre_y, Button4);
    pump(&ui);
    const Write *melody = last_write_to(&ui, PNL_PORT_MELODY_INSTRUMENT);
    float melody_value = melody ? melody->value : -1.0f;
    close_ui(&ui);

    CHECK(one_notch == 1.0f,
          "expected a notch of the wheel on Ensemble to choose Violin and piano (1), got %g",
          one_notch);
    CHECK(dragged == 4.0f,
          "expected dragging Ensemble up 120 px from 1 to choose Melody and piano (4), got %g",
          dragged);
    CHECK(melody_value == 2.0f,
          "expected two notches on Melody to choose the flute (2), got %g", melody_value);
    CHECK(brightness(heard) > 500 && brightness(faint) < brightness(heard) - 200,
          "expected the melody knob faint for solo piano (" PIXEL_FORMAT ") and bright for "
          "Melody and piano (" PIXEL_FORMAT ")", PIXEL_ARGS(faint), PIXEL_ARGS(heard));
}

/* A re-roll: the DSP cuts its timeline at beat 9 and sends the new notes
 * from there. The old ones after the cut go, whatever their onset, even
 * where no new note takes their place; those before it and the notes played
 * live stay. */
static void test_a_cut_forgets_the_notes_after_it(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    send_playhead(&ui, 8.0, 120.0, 4.0, 1);
    send_note(&ui, 60, 127, 6.0, 1.0, PNL_ORIGIN_GENERATED);
    send_note(&ui, 64, 127, 9.0, 1.0, PNL_ORIGIN_PROMPT);
    send_note(&ui, 67, 127, 10.0, 1.0, PNL_ORIGIN_GENERATED);
    send_note(&ui, 72, 127, 11.0, 1.0, PNL_ORIGIN_GENERATED);
    send_note(&ui, 55, 100, 9.5, 1.0, PNL_ORIGIN_LIVE);
    send_cut(&ui, 9.0);
    send_note(&ui, 62, 127, 10.5, 0.5, PNL_ORIGIN_GENERATED);
    pump(&ui);
    grab(&ui, "cut");

    Pixel before = note_pixel(&ui, &layout, 8.0, 60, 6.0, 1.0);
    Pixel prompt_after = note_pixel(&ui, &layout, 8.0, 64, 9.0, 1.0);
    Pixel old_after = note_pixel(&ui, &layout, 8.0, 67, 10.0, 1.0);
    Pixel old_far = note_pixel(&ui, &layout, 8.0, 72, 11.0, 1.0);
    Pixel live = note_pixel(&ui, &layout, 8.0, 55, 9.5, 1.0);
    Pixel new_note = note_pixel(&ui, &layout, 8.0, 62, 10.5, 0.5);
    close_ui(&ui);

    CHECK(is_teal(before), "expected the note before the cut kept, got " PIXEL_FORMAT,
          PIXEL_ARGS(before));
    CHECK(brightness(prompt_after) < 120 && brightness(old_after) < 120 &&
              brightness(old_far) < 120,
          "expected the notes from the cut on gone, got " PIXEL_FORMAT ", " PIXEL_FORMAT
          " and " PIXEL_FORMAT,
          PIXEL_ARGS(prompt_after), PIXEL_ARGS(old_after), PIXEL_ARGS(old_far));
    CHECK(brightness(live) >= 120, "expected the live note kept, got " PIXEL_FORMAT,
          PIXEL_ARGS(live));
    CHECK(is_teal(new_note), "expected the note sent after the cut shown, got " PIXEL_FORMAT,
          PIXEL_ARGS(new_note));
}

static void test_quiet_notes_are_darker_than_loud_ones(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    send_playhead(&ui, 8.0, 120.0, 4.0, 1);
    send_note(&ui, 64, 20, 2.0, 1.0, PNL_ORIGIN_GENERATED);
    send_note(&ui, 64, 120, 4.0, 1.0, PNL_ORIGIN_GENERATED);
    send_note(&ui, 60, 0, 4.0, 1.0, PNL_ORIGIN_LIVE); /* released, velocity unknown */
    pump(&ui);
    grab(&ui, "velocity");
    double px, py;
    note_centre(&layout, 8.0, 64, 2.0, 1.0, &px, &py);
    Pixel quiet = pixel_at(&ui, px, py);
    note_centre(&layout, 8.0, 64, 4.0, 1.0, &px, &py);
    Pixel loud = pixel_at(&ui, px, py);
    note_centre(&layout, 8.0, 60, 4.0, 1.0, &px, &py);
    Pixel unknown = pixel_at(&ui, px, py);
    close_ui(&ui);
    CHECK(brightness(loud) > brightness(quiet) + 120,
          "expected velocity 120 much brighter than velocity 20, got " PIXEL_FORMAT
          " and " PIXEL_FORMAT,
          PIXEL_ARGS(loud), PIXEL_ARGS(quiet));
    CHECK(unknown.red > unknown.blue + 40 && brightness(unknown) > 300,
          "expected a live note of unknown velocity in a middle rose, got " PIXEL_FORMAT,
          PIXEL_ARGS(unknown));
}

/* Pixels of the message's rose along the roll's foot. */
static int rose_pixels_in_footer(const Ui *ui, const PnlUiLayout *layout)
{
    int count = 0;
    double bottom = layout->notes.y + layout->notes.height;
    for (double row = bottom - 18; row < bottom - 4; row++)
        for (double column = layout->notes.x; column < layout->notes.x + 300; column++) {
            Pixel pixel = pixel_at(ui, column, row);
            count += pixel.red > 120 && pixel.red > pixel.blue + 40 && pixel.red > pixel.green + 60;
        }
    return count;
}

static void test_dsp_messages_show_under_the_roll(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    send_soundfont(&ui, "/usr/share/sounds/sf2/FluidR3_GM.sf2");
    pump(&ui);
    grab(&ui, "soundfont");
    int before = rose_pixels_in_footer(&ui, &layout);
    send_text_message(&ui, "models/pianola.pnm: cannot open: No such file or directory");
    pump(&ui);
    grab(&ui, "message");
    int after = rose_pixels_in_footer(&ui, &layout);
    close_ui(&ui);
    CHECK(before == 0, "expected no rose text before a message, found %d pixels", before);
    CHECK(after > 100, "expected the message in rose under the roll, found %d pixels", after);
}

static void test_playhead_moves_between_messages(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    send_note(&ui, 60, 127, 8.0, 0.5, PNL_ORIGIN_GENERATED);
    send_playhead(&ui, 7.75, 120.0, 4.0, 1);
    double sent = monotonic_seconds();
    send_playhead(&ui, 8.0, 120.0, 4.0, 1); /* moving: 2 beats a second */
    ui.idle->idle(ui.handle);
    usleep(400000);
    pump(&ui);
    grab(&ui, "playhead-moved");
    /* The UI draws at most 1 s ahead of the last message it had. */
    double elapsed = fmin(monotonic_seconds() - sent, 1.0);
    /* Find the note's left edge along its row: it has slid left by 2 beats
     * a second times the time that passed (at least 0.4 s; more on a busy
     * machine). */
    double px, py;
    note_centre(&layout, 8.0, 60, 8.0, 0.5, &px, &py);
    double left_at_8 = pnl_roll_beat_x(layout.notes, 8.0, 4, 8.0);
    double found = -1;
    for (double column = layout.notes.x; column < layout.notes.x + layout.notes.width; column++)
        if (is_teal(pixel_at(&ui, column, py))) {
            found = column;
            break;
        }
    close_ui(&ui);
    double pixels_per_beat = layout.notes.width / pnl_roll_visible_beats(4);
    double moved_beats = (left_at_8 - found) / pixels_per_beat;
    CHECK(found >= 0, "expected the C4 note somewhere along its row");
    CHECK(moved_beats > 0.7 && moved_beats < 2.0 * elapsed + 0.1,
          "expected the note to slide 0.8 to %.2f beats left after %.2f s at 120 BPM, it moved "
          "%.2f", 2.0 * elapsed, elapsed, moved_beats);
}

typedef enum { LOOK_OFF, LOOK_ARMED, LOOK_RECORDING, LOOK_PROMPT, LOOK_UNKNOWN } CaptureLook;

static CaptureLook capture_look(Pixel face)
{
    if (face.red > 90 && face.red > face.green + 50)
        return LOOK_RECORDING;
    if (face.red > face.blue + 25 && face.green > face.blue + 15)
        return LOOK_PROMPT;
    if (face.red > face.green + 10 && face.red < 70)
        return LOOK_ARMED;
    if (abs(face.red - face.blue) < 12 && face.red < 60)
        return LOOK_OFF;
    return LOOK_UNKNOWN;
}

static void test_capture_button_follows_capture_state(void)
{
    static const char *names[] = {"off", "armed", "recording", "prompt set", "unknown"};
    static const struct {
        float port;
        int state, notes;
        CaptureLook look;
    } steps[] = {
        {0, PNL_CAPTURE_OFF, 0, LOOK_OFF},
        {1, PNL_CAPTURE_ARMED, 0, LOOK_ARMED},
        {1, PNL_CAPTURE_RECORDING, 7, LOOK_RECORDING},
        {0, PNL_CAPTURE_PROMPT_SET, 7, LOOK_PROMPT},
        {0, PNL_CAPTURE_OFF, 0, LOOK_OFF},
    };
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        set_port(&ui, PNL_PORT_CAPTURE, steps[i].port);
        send_capture(&ui, steps[i].state, steps[i].notes);
        pump(&ui);
        char name[32];
        snprintf(name, sizeof name, "capture-%u-%s", i, names[steps[i].look]);
        grab(&ui, name);
        Pixel face = pixel_at(&ui, layout.capture.x + layout.capture.width - 8,
                              layout.capture.y + layout.capture.height / 2);
        CaptureLook look = capture_look(face);
        if (look != steps[i].look)
            close_ui(&ui);
        CHECK(look == steps[i].look, "step %u: expected the %s look, got %s " PIXEL_FORMAT, i,
              names[steps[i].look], names[look], PIXEL_ARGS(face));
    }
    close_ui(&ui);
}

static void test_click_on_capture_writes_the_capture_port(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    pump(&ui);
    click(&ui, layout.capture.x + layout.capture.width / 2,
          layout.capture.y + layout.capture.height / 2);
    pump(&ui);
    grab(&ui, "capture-clicked");
    const Write *first = last_write_to(&ui, PNL_PORT_CAPTURE);
    float first_value = first ? first->value : -1.0f;
    Pixel face = pixel_at(&ui, layout.capture.x + layout.capture.width - 8,
                          layout.capture.y + layout.capture.height / 2);
    click(&ui, layout.capture.x + 20, layout.capture.y + 20);
    pump(&ui);
    const Write *second = last_write_to(&ui, PNL_PORT_CAPTURE);
    float second_value = second ? second->value : -1.0f;
    int count = writes_to(&ui, PNL_PORT_CAPTURE);
    close_ui(&ui);
    CHECK(first_value == 1.0f, "expected a click to write 1 to the capture port, got %g",
          first_value);
    CHECK(capture_look(face) == LOOK_ARMED,
          "expected the button to look armed at once, got " PIXEL_FORMAT, PIXEL_ARGS(face));
    CHECK(count == 2 && second_value == 0.0f,
          "expected a second click to write 0 (2 writes), got %g (%d writes)", second_value,
          count);
}

static int light_pixels_in_footer(const Ui *ui, const PnlUiLayout *layout)
{
    int count = 0;
    double bottom = layout->notes.y + layout->notes.height;
    for (double row = bottom - 18; row < bottom - 4; row++)
        for (double column = layout->notes.x; column < layout->notes.x + 300; column++)
            count += brightness(pixel_at(ui, column, row)) > 200;
    return count;
}

/* Opens the window for another of the bundle's plugins than the piano. */
static int open_ui_for(Ui *ui, const char *plugin_uri)
{
    host.plugin_uri = plugin_uri;
    int opened = open_ui(ui, 1);
    host.plugin_uri = NULL;
    return opened;
}

/* Opened for Pianola (parts), the window speaks its port indices (the
 * piano's, less the mix pair before the controls), and has every knob of
 * the piano, the Melody instrument's among them. */
static void test_the_window_serves_the_parts_plugin_at_its_ports(void)
{
    Ui ui;
    CHECK(open_ui_for(&ui, PIANOLA_PARTS_URI) == 0, "instantiate returned NULL for %s", PIANOLA_PARTS_URI);
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    int ensemble = pnl_variant_host_index(PNL_VARIANT_PARTS, PNL_PORT_ENSEMBLE);
    int melody = pnl_variant_host_index(PNL_VARIANT_PARTS, PNL_PORT_MELODY_INSTRUMENT);
    double x, y, radius;
    pnl_knob_dial(layout.knob[PNL_KNOB_ENSEMBLE], 1.0, &x, &y, &radius);
    wheel(&ui, x, y, Button4);
    pnl_knob_dial(layout.knob[PNL_KNOB_MELODY_INSTRUMENT], 1.0, &x, &y, &radius);
    wheel(&ui, x, y, Button4);
    pump(&ui);
    const Write *ensemble_write = last_write_to(&ui, ensemble);
    const Write *melody_write = last_write_to(&ui, melody);
    float ensemble_value = ensemble_write ? ensemble_write->value : -1.0f;
    float melody_value = melody_write ? melody_write->value : -1.0f;
    int piano_index_writes = writes_to(&ui, PNL_PORT_ENSEMBLE);
    close_ui(&ui);
    CHECK(ensemble == PNL_PORT_ENSEMBLE - 2 && melody == PNL_PORT_MELODY_INSTRUMENT - 2,
          "expected the parts plugin's ensemble and melody at %d and %d, got %d and %d",
          PNL_PORT_ENSEMBLE - 2, PNL_PORT_MELODY_INSTRUMENT - 2, ensemble, melody);
    CHECK(ensemble_value == 1.0f && melody_value == 1.0f && piano_index_writes == 0,
          "expected the wheel to write 1 to ports %d and %d (got %g and %g) and nothing to %d "
          "(%d writes)", ensemble, melody, ensemble_value, melody_value, PNL_PORT_ENSEMBLE,
          piano_index_writes);
}

/* Opened for Pianola (MIDI), the window speaks the MIDI plugin's port
 * indices (plugin/variant.h): values come in and go out at them, and the
 * line under the roll names MIDI out, as it has no SoundFont. */
static void test_the_window_serves_the_midi_plugin_at_its_ports(void)
{
    Ui ui;
    CHECK(open_ui_for(&ui, PIANOLA_MIDI_URI) == 0, "instantiate returned NULL for %s", PIANOLA_MIDI_URI);
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    int temperature = pnl_variant_host_index(PNL_VARIANT_MIDI, PNL_PORT_TEMPERATURE);
    int capture = pnl_variant_host_index(PNL_VARIANT_MIDI, PNL_PORT_CAPTURE);
    int notify = pnl_variant_host_index(PNL_VARIANT_MIDI, PNL_PORT_NOTIFY_OUT);
    /* The piano's index of the temperature is another control of the MIDI plugin's. */
    set_port(&ui, PNL_PORT_TEMPERATURE, 0.06f);
    set_port(&ui, temperature, 1.8f);
    pump(&ui);
    grab(&ui, "midi-plugin");
    Pixel high = indicator_pixel(&ui, &layout, 0.9);
    int dim_footer = light_pixels_in_footer(&ui, &layout);
    click(&ui, layout.capture.x + layout.capture.width / 2,
          layout.capture.y + layout.capture.height / 2);
    pump(&ui);
    const Write *capture_write = last_write_to(&ui, capture);
    float capture_value = capture_write ? capture_write->value : -1.0f;
    int piano_index_writes = writes_to(&ui, PNL_PORT_CAPTURE);
    /* No Melody instrument port: no knob, and nothing there answers. */
    int writes_before = ui.recorder.count;
    double melody_x, melody_y, radius;
    pnl_knob_dial(layout.knob[PNL_KNOB_MELODY_INSTRUMENT], 1.0, &melody_x, &melody_y, &radius);
    Pixel melody_cap = pixel_at(&ui, melody_x, melody_y);
    wheel(&ui, melody_x, melody_y, Button4);
    click(&ui, melody_x, melody_y);
    pump(&ui);
    int melody_writes = ui.recorder.count - writes_before;
    /* The Ensemble's knob writes the MIDI plugin's index of it. */
    int ensemble = pnl_variant_host_index(PNL_VARIANT_MIDI, PNL_PORT_ENSEMBLE);
    double ensemble_x, ensemble_y;
    pnl_knob_dial(layout.knob[PNL_KNOB_ENSEMBLE], 1.0, &ensemble_x, &ensemble_y, &radius);
    wheel(&ui, ensemble_x, ensemble_y, Button4);
    pump(&ui);
    const Write *ensemble_write = last_write_to(&ui, ensemble);
    float ensemble_value = ensemble_write ? ensemble_write->value : -1.0f;
    int ui_on = 0;
    for (int i = 0; i < ui.recorder.count; i++)
        ui_on += ui.recorder.writes[i].otype == host.UiOn &&
                 ui.recorder.writes[i].port ==
                     (uint32_t)pnl_variant_host_index(PNL_VARIANT_MIDI, PNL_PORT_CONTROL_IN);
    close_ui(&ui);
    CHECK(notify == 1 && temperature == 3 && capture == 8,
          "expected the MIDI plugin's notify, temperature and capture at 1, 3 and 8; got %d, %d "
          "and %d", notify, temperature, capture);
    CHECK(brightness(high) > 500,
          "expected temperature 1.8 from the MIDI plugin's port %d on the knob, got " PIXEL_FORMAT,
          temperature, PIXEL_ARGS(high));
    CHECK(capture_value == 1.0f && piano_index_writes == 0,
          "expected a click on capture to write 1 to port %d (got %g) and nothing to %d (%d "
          "writes)", capture, capture_value, PNL_PORT_CAPTURE, piano_index_writes);
    CHECK(ui_on == 1, "expected pianola:UiOn on the control port, got %d", ui_on);
    CHECK(brightness(melody_cap) < 120 && melody_writes == 0,
          "expected no Melody knob for the MIDI plugin: got " PIXEL_FORMAT " where its cap "
          "would be, and %d writes from a wheel and a click there",
          PIXEL_ARGS(melody_cap), melody_writes);
    CHECK(ensemble == PNL_PORT_ENSEMBLE - 3 && ensemble_value == 1.0f,
          "expected the wheel on Ensemble to write 1 to the MIDI plugin's port %d (got %g)",
          ensemble, ensemble_value);

    /* The piano's window, with no SoundFont told yet, has no line there. */
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    pump(&ui);
    grab(&ui, "piano-plugin-no-soundfont");
    int piano_footer = light_pixels_in_footer(&ui, &layout);
    close_ui(&ui);
    CHECK(dim_footer > 50 && piano_footer < 5,
          "expected the MIDI out line under the roll (%d light pixels) where the piano's window "
          "shows nothing yet (%d)", dim_footer, piano_footer);
}

/* The default of a control port as the plugin's description states it,
 * read from ttl/pianola.ttl.in (NAN when it is not there). */
static double ttl_default(const char *symbol)
{
    char path[1024], key[128];
    snprintf(path, sizeof path, "%s/ttl/pianola.ttl.in", check_env("PIANOLA_SRC", ".."));
    FILE *file = fopen(path, "r");
    if (!file)
        return NAN;
    static char text[1 << 16];
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = '\0';
    snprintf(key, sizeof key, "lv2:symbol \"%s\"", symbol);
    const char *port = strstr(text, key);
    const char *next_port = port ? strstr(port + 1, "lv2:symbol") : NULL;
    const char *default_text = port ? strstr(port, "lv2:default") : NULL;
    if (!default_text || (next_port && default_text > next_port))
        return NAN;
    return strtod(default_text + strlen("lv2:default"), NULL);
}

static void test_double_click_resets_each_knob_to_the_plugins_default(void)
{
    static const struct {
        PnlKnobId knob;
        int port;
        const char *symbol;
        float away;
    } knobs[] = {
        {PNL_KNOB_TEMPERATURE, PNL_PORT_TEMPERATURE, "temperature", 1.7f},
        {PNL_KNOB_TOP_P, PNL_PORT_TOP_P, "top_p", 0.3f},
        {PNL_KNOB_HUMANIZE_VELOCITY, PNL_PORT_HUMANIZE_VELOCITY, "humanize_velocity", 0.9f},
        {PNL_KNOB_HUMANIZE_TIMING, PNL_PORT_HUMANIZE_TIMING, "humanize_timing", 0.1f},
        {PNL_KNOB_KEY, PNL_PORT_KEY, "key", 14.0f},
        {PNL_KNOB_REGISTER_LOWEST, PNL_PORT_REGISTER_LOWEST, "register_lowest", 48.0f},
        {PNL_KNOB_REGISTER_HIGHEST, PNL_PORT_REGISTER_HIGHEST, "register_highest", 84.0f},
        {PNL_KNOB_DYNAMICS, PNL_PORT_DYNAMICS, "dynamics", 5.0f},
        {PNL_KNOB_DENSITY, PNL_PORT_DENSITY, "density", 3.0f},
        {PNL_KNOB_ENSEMBLE, PNL_PORT_ENSEMBLE, "ensemble", 3.0f},
        {PNL_KNOB_PROMPT_PART, PNL_PORT_PROMPT_PART, "prompt_part", 1.0f},
        {PNL_KNOB_MELODY_INSTRUMENT, PNL_PORT_MELODY_INSTRUMENT, "melody_instrument", 4.0f},
    };
    for (unsigned i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
        double expected = ttl_default(knobs[i].symbol);
        if (isnan(expected))
            expected = knobs[i].knob == PNL_KNOB_TEMPERATURE ? 0.9 : NAN;
        Ui ui;
        CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
        PnlUiLayout layout;
        layout_of(&ui, &layout);
        set_port(&ui, knobs[i].port, knobs[i].away);
        pump(&ui);
        double centre_x, centre_y, radius;
        pnl_knob_dial(layout.knob[knobs[i].knob], 1.0, &centre_x, &centre_y, &radius);
        click(&ui, centre_x, centre_y);
        ui.idle->idle(ui.handle);
        int after_one = writes_to(&ui, knobs[i].port);
        click(&ui, centre_x, centre_y);
        pump(&ui);
        const Write *reset = last_write_to(&ui, knobs[i].port);
        float value = reset ? reset->value : -1.0f;
        close_ui(&ui);
        CHECK(after_one == 0,
              "%s: expected a single click without a drag to leave the port, got %d writes",
              knobs[i].symbol, after_one);
        if (isnan(expected))
            continue; /* the description is not there to compare with */
        CHECK(fabs(value - expected) < 1e-6,
              "%s: expected a double click to write the plugin's default %g, got %g",
              knobs[i].symbol, expected, value);
    }
}

static void test_dragging_up_and_the_wheel_raise_values(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    set_port(&ui, PNL_PORT_TEMPERATURE, 0.5f);
    set_port(&ui, PNL_PORT_HUMANIZE_TIMING, 0.5f);
    set_port(&ui, PNL_PORT_SEED, 10.0f);
    pump(&ui);
    double centre_x, centre_y, radius;
    pnl_knob_dial(layout.knob[PNL_KNOB_TEMPERATURE], 1.0, &centre_x, &centre_y, &radius);
    press_drag_release(&ui, centre_x, centre_y, -80); /* half the 160 px travel */
    pump(&ui);
    const Write *temperature = last_write_to(&ui, PNL_PORT_TEMPERATURE);
    float dragged = temperature ? temperature->value : -1.0f;
    pnl_knob_dial(layout.knob[PNL_KNOB_HUMANIZE_TIMING], 1.0, &centre_x, &centre_y, &radius);
    wheel(&ui, centre_x, centre_y, Button5);
    wheel(&ui, layout.seed.x + 10, layout.seed.y + 10, Button4);
    set_port(&ui, PNL_PORT_TEMPO, 100.0f);
    wheel(&ui, layout.tempo.x + layout.tempo.width / 2, layout.tempo.y + 10, Button4);
    pump(&ui);
    grab(&ui, "dragged");
    const Write *timing = last_write_to(&ui, PNL_PORT_HUMANIZE_TIMING);
    const Write *seed = last_write_to(&ui, PNL_PORT_SEED);
    float timing_value = timing ? timing->value : -1.0f;
    float seed_value = seed ? seed->value : -1.0f;
    const Write *tempo = last_write_to(&ui, PNL_PORT_TEMPO);
    float tempo_value = tempo ? tempo->value : -1.0f;
    close_ui(&ui);
    CHECK(fabsf(dragged - 1.5f) < 0.05f,
          "expected dragging the temperature knob up 80 px to move 0.5 to 1.5, got %g", dragged);
    CHECK(timing_value > 0.45f && timing_value < 0.5f,
          "expected the wheel down to lower humanize timing a step below 0.5, got %g",
          timing_value);
    CHECK(seed_value == 11.0f, "expected the wheel up on the seed to make 10 into 11, got %g",
          seed_value);
    CHECK(tempo_value == 101.0f,
          "expected the wheel up on the internal tempo to make 100 into 101 BPM, got %g",
          tempo_value);
}

static void test_steering_knobs_step_through_whole_choices(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    set_port(&ui, PNL_PORT_KEY, 0.0f);
    set_port(&ui, PNL_PORT_DYNAMICS, 0.0f);
    set_port(&ui, PNL_PORT_REGISTER_HIGHEST, 108.0f);
    pump(&ui);
    double centre_x, centre_y, radius;
    /* One notch of the wheel: Automatic to C major, 108 down to 107. */
    pnl_knob_dial(layout.knob[PNL_KNOB_KEY], 1.0, &centre_x, &centre_y, &radius);
    wheel(&ui, centre_x, centre_y, Button4);
    pnl_knob_dial(layout.knob[PNL_KNOB_REGISTER_HIGHEST], 1.0, &centre_x, &centre_y, &radius);
    wheel(&ui, centre_x, centre_y, Button5);
    /* A third of the travel up: As composed to a marking, never between. */
    pnl_knob_dial(layout.knob[PNL_KNOB_DYNAMICS], 1.0, &centre_x, &centre_y, &radius);
    press_drag_release(&ui, centre_x, centre_y, -53);
    pump(&ui);
    grab(&ui, "steered");
    const Write *key = last_write_to(&ui, PNL_PORT_KEY);
    const Write *highest = last_write_to(&ui, PNL_PORT_REGISTER_HIGHEST);
    const Write *dynamics = last_write_to(&ui, PNL_PORT_DYNAMICS);
    float key_value = key ? key->value : -1.0f, highest_value = highest ? highest->value : -1.0f,
          dynamics_value = dynamics ? dynamics->value : -1.0f;
    close_ui(&ui);
    CHECK(key_value == 1.0f, "expected the wheel up on Key to choose C major (1), got %g",
          key_value);
    CHECK(highest_value == 107.0f, "expected the wheel down on Highest to make 108 into 107, "
          "got %g", highest_value);
    CHECK(dynamics_value == 2.0f, "expected dragging Dynamics up a third of the way to choose "
          "p (2), got %g", dynamics_value);
}

static void test_reroll_sends_a_pulse(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    click(&ui, layout.reroll.x + layout.reroll.width / 2,
          layout.reroll.y + layout.reroll.height / 2);
    ui.idle->idle(ui.handle);
    const Write *rise = last_write_to(&ui, PNL_PORT_REROLL);
    float risen = rise ? rise->value : -1.0f;
    usleep(250000);
    pump(&ui);
    const Write *fall = last_write_to(&ui, PNL_PORT_REROLL);
    float fallen = fall ? fall->value : -1.0f;
    int count = writes_to(&ui, PNL_PORT_REROLL);
    close_ui(&ui);
    CHECK(risen == 1.0f, "expected re-roll to write 1 first, got %g", risen);
    CHECK(fallen == 0.0f && count == 2,
          "expected re-roll to fall back to 0 (2 writes), got %g (%d)",
          fallen, count);
}

static void test_clicks_choose_composer_and_toggle_compose(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    set_port(&ui, PNL_PORT_GENERATE, 1.0f);
    PnlRect rachmaninoff = layout.composer[3];
    click(&ui, rachmaninoff.x + rachmaninoff.width / 2, rachmaninoff.y + rachmaninoff.height / 2);
    click(&ui, layout.generate.x + layout.generate.width / 2,
          layout.generate.y + layout.generate.height / 2);
    pump(&ui);
    grab(&ui, "composer-rachmaninoff");
    const Write *composer = last_write_to(&ui, PNL_PORT_COMPOSER);
    const Write *generate = last_write_to(&ui, PNL_PORT_GENERATE);
    float composer_value = composer ? composer->value : -1.0f;
    float generate_value = generate ? generate->value : -1.0f;
    Pixel lit = pixel_at(&ui, rachmaninoff.x + 8, rachmaninoff.y + rachmaninoff.height / 2);
    close_ui(&ui);
    CHECK(composer_value == 3.0f, "expected composer 3 (rachmaninoff), got %g", composer_value);
    CHECK(generate_value == 0.0f, "expected compose toggled off, got %g", generate_value);
    CHECK(is_amber(lit), "expected the chosen composer lit in the accent, got " PIXEL_FORMAT,
          PIXEL_ARGS(lit));
}

/* pianola:Composers, as the DSP sends a loaded model's choices. */
static void send_composers(Ui *ui, const char *const *labels, int count, int choice)
{
    LV2_Atom_Forge *forge = &ui->forge;
    LV2_Atom_Forge_Frame frame, tuple;
    lv2_atom_forge_set_buffer(forge, ui->atom_buffer, sizeof ui->atom_buffer);
    LV2_Atom_Forge_Ref ref = lv2_atom_forge_object(forge, &frame, 0, urid(PIANOLA__Composers));
    lv2_atom_forge_key(forge, urid(PIANOLA__choice));
    lv2_atom_forge_int(forge, choice);
    lv2_atom_forge_key(forge, urid(PIANOLA__labels));
    lv2_atom_forge_tuple(forge, &tuple);
    for (int i = 0; i < count; i++)
        lv2_atom_forge_string(forge, labels[i], (uint32_t)strlen(labels[i]));
    lv2_atom_forge_pop(forge, &tuple);
    lv2_atom_forge_pop(forge, &frame);
    send_atom(ui, lv2_atom_forge_deref(forge, ref));
}

static void test_composer_pills_follow_the_models_choices_and_the_model_row_asks_for_a_file(void)
{
    static const char *const labels[] = {"Mozart", "Brahms", "Schumann", "Rachmaninoff",
                                         "Romantic blend", "\xc3\x89rik Satie"};
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    pnl_ui_layout_composers(&layout, 6);
    /* A restored session: the port says 1, the DSP composes choice 5. */
    set_port(&ui, PNL_PORT_COMPOSER, 1.0f);
    send_composers(&ui, labels, 6, 5);
    pump(&ui);
    grab(&ui, "composers-of-the-model");
    PnlRect own = layout.composer[5], brahms = layout.composer[1];
    Pixel own_lit = pixel_at(&ui, own.x + 8, own.y + own.height / 2);
    Pixel brahms_dark = pixel_at(&ui, brahms.x + 8, brahms.y + brahms.height / 2);
    click(&ui, brahms.x + brahms.width / 2, brahms.y + brahms.height / 2);
    click(&ui, own.x + own.width / 2, own.y + own.height / 2);
    pump(&ui);
    const Write *composer = last_write_to(&ui, PNL_PORT_COMPOSER);
    float composer_value = composer ? composer->value : -1.0f;
    int before = requested.count;
    click(&ui, layout.model.x + layout.model.width - 20, layout.model.y + layout.model.height / 2);
    pump(&ui);
    int asked = requested.count - before;
    /* Another model with fewer composers: a sixth pill answers no more. */
    send_composers(&ui, labels, 5, 0);
    pump(&ui);
    int writes_before = writes_to(&ui, PNL_PORT_COMPOSER);
    click(&ui, own.x + own.width / 2, own.y + own.height / 2);
    pump(&ui);
    int writes_after = writes_to(&ui, PNL_PORT_COMPOSER);
    close_ui(&ui);
    CHECK(is_amber(own_lit) && !is_amber(brahms_dark),
          "expected the DSP's choice (the sixth pill) lit and not the port's, got "
          PIXEL_FORMAT " and " PIXEL_FORMAT, PIXEL_ARGS(own_lit), PIXEL_ARGS(brahms_dark));
    CHECK(composer_value == 5.0f, "expected a click on the sixth pill to write 5, got %g",
          composer_value);
    CHECK(asked == 1 && requested.key == urid(PIANOLA__model) &&
              requested.type == urid(LV2_ATOM__Path),
          "expected the model row to ask the host for a path for pianola:model once, got %d "
          "requests (key %u, type %u)", asked, requested.key, requested.type);
    CHECK(writes_after == writes_before, "expected no write past the model's five choices");
}

/* The brightness of the model row's file name, summed: another name, another sum. */
static long model_name_ink(Ui *ui)
{
    PnlUiLayout layout;
    layout_of(ui, &layout);
    pump(ui);
    grab(ui, NULL);
    long ink = 0;
    double scale = ui->width / (double)PNL_UI_DEFAULT_WIDTH;
    for (double y = layout.model.y; y < layout.model.y + layout.model.height; y++)
        for (double px = layout.model.x + 54 * scale;
             px < layout.model.x + layout.model.width - 70 * scale; px++)
            ink += brightness(pixel_at(ui, px, y));
    return ink;
}

/* The model row names the file that composes: the bundled ensemble network
 * for an ensemble while the session has the bundled piano model; a model of
 * one's own composes every ensemble itself, and stays named. */
static void test_the_model_row_names_the_network_that_composes(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    char bundled[1100];
    snprintf(bundled, sizeof bundled, "%smodels/pianola.pnm", host.bundle_path);
    send_model(&ui, bundled);
    set_port(&ui, PNL_PORT_ENSEMBLE, 0.0f);
    long piano = model_name_ink(&ui);
    grab(&ui, "model-row-solo-piano");
    set_port(&ui, PNL_PORT_ENSEMBLE, 3.0f);
    long quartet = model_name_ink(&ui);
    grab(&ui, "model-row-quartet");
    send_model(&ui, "/nowhere/my-own-network.pnm");
    long own_quartet = model_name_ink(&ui);
    set_port(&ui, PNL_PORT_ENSEMBLE, 0.0f);
    long own_piano = model_name_ink(&ui);
    close_ui(&ui);
    CHECK(access(bundled, R_OK) == 0, "no bundled model at %s", bundled);
    CHECK(piano > 0 && quartet != piano,
          "the quartet, composed by ensembles.pnm, should not show pianola.pnm (ink %ld, %ld)",
          piano, quartet);
    CHECK(own_quartet == own_piano && own_quartet != piano && own_quartet != quartet,
          "a model of one's own should be named whatever the ensemble (ink %ld, %ld)",
          own_quartet, own_piano);
}

static void test_seed_field_takes_typed_digits_and_gives_focus_back(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    pump(&ui);
    Window focus_opened;
    int revert;
    x.get_input_focus(host.display, &focus_opened, &revert);
    /* The host's window has the focus, as when a person works in it. */
    x.set_input_focus(host.display, ui.parent, RevertToParent, CurrentTime);
    x.sync(host.display, False);
    pump(&ui);
    Window focus_before;
    x.get_input_focus(host.display, &focus_before, &revert);
    type_key(&ui, XK_5); /* not clicked into: the UI must ignore it */
    pump(&ui);
    int writes_before_click = writes_to(&ui, PNL_PORT_SEED);
    click(&ui, layout.seed.x + layout.seed.width / 2, layout.seed.y + layout.seed.height / 2);
    pump(&ui);
    Window focus_editing;
    x.get_input_focus(host.display, &focus_editing, &revert);
    type_key(&ui, XK_4);
    type_key(&ui, XK_2);
    pump(&ui);
    grab(&ui, "seed-editing");
    type_key(&ui, XK_Return);
    pump(&ui);
    Window focus_after;
    x.get_input_focus(host.display, &focus_after, &revert);
    const Write *seed = last_write_to(&ui, PNL_PORT_SEED);
    float value = seed ? seed->value : -1.0f;
    Window widget = ui.widget, parent = ui.parent;
    close_ui(&ui);
    CHECK(writes_before_click == 0, "expected keys before a click to be ignored, got %d writes",
          writes_before_click);
    CHECK(focus_opened != widget, "expected the UI not to take the focus when opened");
    CHECK(focus_before == parent, "expected the host's window to keep the focus it was given");
    CHECK(focus_editing == widget, "expected the seed field to take the focus when clicked");
    CHECK(value == 42.0f, "expected typing 4 2 Enter to write seed 42, got %g", value);
    CHECK(focus_after == parent, "expected the focus given back to the host's window after "
          "Enter, it is on 0x%lx (ours 0x%lx)", focus_after, widget);
}

static void test_ui_embeds_in_a_32_bit_parent_without_x_errors(void)
{
    int errors_before = x_errors;
    Ui ui;
    CHECK(open_ui_in(&ui, 1, PARENT_ARGB) == 0, "instantiate returned NULL");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    pump(&ui);
    grab(&ui, "argb-parent");
    Pixel face = pixel_at(&ui, layout.capture.x + layout.capture.width - 8,
                          layout.capture.y + layout.capture.height / 2);
    close_ui(&ui);
    CHECK(x_errors == errors_before,
          "expected no X errors, got %d (the last: error %d on request %d)",
          x_errors - errors_before, x_error_code, x_error_request);
    CHECK(capture_look(face) == LOOK_OFF, "expected the capture button drawn, got " PIXEL_FORMAT,
          PIXEL_ARGS(face));
}

static void test_ui_closes_cleanly_after_the_host_destroyed_its_window(void)
{
    /* Hosts may tear their window down (and ours with it) before calling
     * cleanup, as jalv does when its window is closed. */
    int errors_before = x_errors;
    Ui ui;
    CHECK(open_ui(&ui, 1) == 0, "instantiate returned NULL");
    pump(&ui);
    x.destroy_window(host.display, ui.parent);
    x.sync(host.display, False);
    set_port(&ui, PNL_PORT_TEMPERATURE, 1.2f);
    ui.idle->idle(ui.handle);
    host.descriptor->cleanup(ui.handle);
    ui.handle = NULL;
    x.sync(host.display, False);
    int errors = x_errors - errors_before;
    x_errors = errors_before;
    CHECK(errors == 0, "expected no X errors closing after the parent went, got %d (the last: "
          "error %d on request %d)", errors, x_error_code, x_error_request);
}

static void test_messages_before_the_ui_exists_are_ignored(void)
{
    /* jalv.gtk3 with suil's X11-in-GTK wrapper can call port_event (and
     * idle) with a NULL handle before the embedded UI is instantiated. */
    float value = 1.0f;
    host.descriptor->port_event(NULL, PNL_PORT_TEMPERATURE, sizeof value, 0, &value);
    uint8_t bytes[64] = {0};
    LV2_Atom *atom = (LV2_Atom *)bytes;
    atom->size = sizeof bytes - sizeof *atom;
    atom->type = urid(LV2_ATOM__Object);
    host.descriptor->port_event(NULL, PNL_PORT_NOTIFY_OUT, sizeof bytes,
                                host.atom_eventTransfer, bytes);
    const LV2UI_Idle_Interface *idle =
        (const LV2UI_Idle_Interface *)host.descriptor->extension_data(LV2_UI__idleInterface);
    CHECK(idle && idle->idle(NULL) == 0, "idle with no UI should do nothing and return 0");
    host.descriptor->cleanup(NULL);
}

static void test_ui_survives_odd_sizes_bad_messages_and_a_flood(void)
{
    Ui ui;
    CHECK(open_ui(&ui, 0) == 0, "instantiate returned NULL");
    /* Everything arrives before the window is even mapped. */
    send_playhead(&ui, 100.0, 96.0, 3.0, 0);
    send_soundfont(&ui, "/usr/share/sounds/sf2/FluidR3_GM.sf2");
    for (int i = 0; i < 10 * 2048; i++)
        send_note(&ui, 21 + i % 88, 1 + i % 127, i * 0.01, 0.5,
                  i % 3 == 0 ? PNL_ORIGIN_GENERATED : i % 3 == 1 ? PNL_ORIGIN_PROMPT
                                                                 : PNL_ORIGIN_LIVE);
    send_note(&ui, 200, 64, 1.0, 1.0, PNL_ORIGIN_GENERATED);     /* no such pitch */
    send_note(&ui, 60, 64, NAN, 1.0, PNL_ORIGIN_GENERATED);      /* no such time */
    send_note(&ui, 60, 64, 1.0, INFINITY, PNL_ORIGIN_GENERATED); /* endless */
    send_capture(&ui, 99, -5);                    /* no such state */
    LV2_Atom truncated = {64, urid(LV2_ATOM__Object)};
    host.descriptor->port_event(ui.handle, PNL_PORT_NOTIFY_OUT, sizeof truncated,
                                host.atom_eventTransfer, &truncated);
    float seed = 7.0f;
    host.descriptor->port_event(ui.handle, 99, sizeof seed, 0, &seed);
    host.descriptor->port_event(ui.handle, PNL_PORT_SEED, 2, 0, &seed);
    set_port(&ui, PNL_PORT_TEMPERATURE, NAN);
    for (int i = 0; i < 3; i++)
        ui.idle->idle(ui.handle);

    x.map_window(host.display, ui.parent);
    static const int sizes[][2] = {{1, 1}, {3, 5000}, {5000, 4000}, {200, 30},
                                     {PNL_UI_MIN_WIDTH, 500}};
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        x.resize_window(host.display, ui.widget, (unsigned)sizes[i][0], (unsigned)sizes[i][1]);
        x.sync(host.display, False);
        pump(&ui);
    }
    grab(&ui, "after-odd-sizes");
    PnlUiLayout layout;
    layout_of(&ui, &layout);
    Pixel roll = pixel_at(&ui, layout.notes.x + layout.notes.width / 2,
                          layout.notes.y + layout.notes.height / 2);
    click(&ui, layout.capture.x + 30, layout.capture.y + 30);
    pump(&ui);
    const Write *capture = last_write_to(&ui, PNL_PORT_CAPTURE);
    float value = capture ? capture->value : -1.0f;
    close_ui(&ui);
    CHECK(roll.red >= 0, "expected the window readable after the odd sizes");
    CHECK(value == 1.0f, "expected the UI still to answer a click on capture, got %g", value);
}

/* ---- reference screenshots ------------------------------------------------ */

/* A classical sonata's melody (pitch, onset in eighths, length in eighths)
 * and its harmony, a chord a bar: the screenshots' music, for piano and for
 * string quartet. */
static const int sonata_melody[][3] = {
    {72, 0, 4}, {76, 4, 2}, {79, 6, 2}, {71, 8, 3}, {72, 11, 1}, {74, 12, 2}, {72, 14, 2},
    {81, 16, 4}, {79, 20, 2}, {84, 22, 2}, {79, 24, 2}, {77, 26, 2}, {76, 28, 4},
    {77, 32, 3}, {79, 35, 1}, {81, 36, 2}, {77, 38, 2}, {76, 40, 4}, {74, 44, 4},
    {72, 48, 2}, {74, 50, 1}, {76, 51, 1}, {77, 52, 2}, {79, 54, 2}, {81, 56, 6},
    {79, 62, 2}, {77, 64, 4}, {76, 68, 2}, {74, 70, 2}, {72, 72, 8},
};
static const int sonata_chords[][3] = {
    {48, 52, 55}, {43, 50, 53}, {48, 52, 55}, {45, 52, 57}, {41, 48, 53},
    {43, 47, 53}, {48, 52, 55}, {41, 45, 48}, {43, 47, 50}, {36, 43, 48},
};

/* A few bars in the manner of a classical sonata: an Alberti bass under a
 * melody, as prompt (bars 1-2) and continuation (bars 3-6). */
static void stage_music(Ui *ui, double playhead_beats)
{
    static const int alberti[4] = {0, 2, 1, 2};
    const double prompt_end_beats = 8.0;
    unsigned next_melody = 0;
    /* In onset order, as the DSP reports them. */
    for (int eighth = 0; eighth < 80; eighth++) {
        double onset = eighth * 0.5;
        int origin = onset < prompt_end_beats ? PNL_ORIGIN_PROMPT : PNL_ORIGIN_GENERATED;
        while (next_melody < sizeof sonata_melody / sizeof sonata_melody[0] &&
               sonata_melody[next_melody][1] == eighth) {
            const int *note = sonata_melody[next_melody++];
            int velocity = 72 + (int)(26 * sin(onset * 0.4)) + (note[0] > 78 ? 12 : 0);
            send_note(ui, note[0], velocity, onset, note[2] * 0.5 - 0.05, origin);
        }
        int bar = eighth / 8;
        send_note(ui, sonata_chords[bar][alberti[eighth % 4]], eighth % 2 ? 46 : 60, onset,
                  0.45, origin);
    }
    send_playhead(ui, playhead_beats, 112.0, 4.0, 1);
}

/* The same sonata's melody on the first violin over the harmony set for
 * string quartet: the second violin in quarters, the viola in halves, the
 * cello on the bar's root, each part in its range (src/parts.h). */
static void stage_quartet(Ui *ui, double playhead_beats)
{
    unsigned next_melody = 0;
    for (int eighth = 0; eighth < 80; eighth++) {
        double onset = eighth * 0.5;
        int bar = eighth / 8;
        while (next_melody < sizeof sonata_melody / sizeof sonata_melody[0] &&
               sonata_melody[next_melody][1] == eighth) {
            const int *note = sonata_melody[next_melody++];
            int velocity = 76 + (int)(24 * sin(onset * 0.4)) + (note[0] > 78 ? 10 : 0);
            send_part_note(ui, note[0], velocity, onset, note[2] * 0.5 - 0.05,
                           PNL_ORIGIN_GENERATED, PNL_PART_VIOLIN_1);
        }
        if (eighth % 2 == 0)
            send_part_note(ui, sonata_chords[bar][2] + 12, 58, onset, 0.95, PNL_ORIGIN_GENERATED,
                           PNL_PART_VIOLIN_2);
        if (eighth % 4 == 0)
            send_part_note(ui, sonata_chords[bar][1] + 12, 64, onset, 1.95, PNL_ORIGIN_GENERATED,
                           PNL_PART_VIOLA);
        if (eighth % 8 == 0)
            send_part_note(ui, sonata_chords[bar][0], 80, onset, 3.9, PNL_ORIGIN_GENERATED,
                           PNL_PART_CELLO);
    }
    send_playhead(ui, playhead_beats, 112.0, 4.0, 1);
}

static void stage_reference_screenshots(void)
{
    if (!host.screenshots)
        return;
    Ui ui;
    if (open_ui(&ui, 1) != 0)
        return;
    static const int phrase[][2] = {{60, 0}, {64, 2}, {67, 4}, {72, 6}, {71, 8},
                                    {67, 10}, {69, 12}, {65, 14}, {64, 16}};
    for (unsigned i = 0; i < sizeof phrase / sizeof phrase[0]; i++)
        send_note(&ui, phrase[i][0], 60 + 6 * (int)i, phrase[i][1] * 0.5, 0.9,
                  PNL_ORIGIN_PROMPT);
    send_playhead(&ui, 8.7, 96.0, 4.0, 0);
    set_port(&ui, PNL_PORT_CAPTURE, 1.0f);
    set_port(&ui, PNL_PORT_TEMPO, 96.0f);
    send_capture(&ui, PNL_CAPTURE_RECORDING, 9);
    send_soundfont(&ui, "/usr/share/sounds/sf2/FluidR3_GM.sf2");
    pump(&ui);
    grab(&ui, "ui-capture");
    close_ui(&ui);

    if (open_ui(&ui, 1) != 0)
        return;
    stage_music(&ui, 14.6);
    set_port(&ui, PNL_PORT_COMPOSER, 0.0f);
    set_port(&ui, PNL_PORT_TEMPERATURE, 0.85f);
    set_port(&ui, PNL_PORT_TOP_P, 0.92f);
    set_port(&ui, PNL_PORT_HUMANIZE_VELOCITY, 0.6f);
    set_port(&ui, PNL_PORT_HUMANIZE_TIMING, 0.35f);
    set_port(&ui, PNL_PORT_SEED, 1791.0f);
    set_port(&ui, PNL_PORT_KEY, 1.0f);
    set_port(&ui, PNL_PORT_REGISTER_LOWEST, 36.0f);
    set_port(&ui, PNL_PORT_REGISTER_HIGHEST, 96.0f);
    set_port(&ui, PNL_PORT_DYNAMICS, 4.0f);
    send_capture(&ui, PNL_CAPTURE_PROMPT_SET, 22);
    send_soundfont(&ui, "/usr/share/sounds/sf2/FluidR3_GM.sf2");
    pump(&ui);
    grab(&ui, "ui-playing");
    close_ui(&ui);

    if (open_ui(&ui, 1) != 0)
        return;
    stage_quartet(&ui, 14.6);
    set_port(&ui, PNL_PORT_ENSEMBLE, 3.0f); /* String quartet */
    set_port(&ui, PNL_PORT_COMPOSER, 0.0f);
    set_port(&ui, PNL_PORT_TEMPERATURE, 0.85f);
    set_port(&ui, PNL_PORT_TOP_P, 0.92f);
    set_port(&ui, PNL_PORT_HUMANIZE_VELOCITY, 0.6f);
    set_port(&ui, PNL_PORT_HUMANIZE_TIMING, 0.35f);
    set_port(&ui, PNL_PORT_SEED, 1791.0f);
    set_port(&ui, PNL_PORT_KEY, 1.0f);
    send_soundfont(&ui, "/usr/share/sounds/sf2/FluidR3_GM.sf2");
    pump(&ui);
    grab(&ui, "ui-ensemble");
    close_ui(&ui);
}

int main(void)
{
    const char *build = check_env("PIANOLA_BUILD", "."); /* tests run in the build dir */
    const char *source = check_env("PIANOLA_SRC", "..");
    char binary[1024], dsp_source[1024], why[256] = "";
    snprintf(binary, sizeof binary, "%s", check_env("PIANOLA_UI_BINARY", ""));
    if (!binary[0]) {
        /* waf names shared libraries lib*.so; the manifest says which. */
        snprintf(binary, sizeof binary, "%s/pianola.lv2/pianola_ui.so", build);
        if (access(binary, R_OK) != 0)
            snprintf(binary, sizeof binary, "%s/pianola.lv2/pianola_ui.so", build);
    }
    snprintf(dsp_source, sizeof dsp_source, "%s/plugin/pianola.c", source);
    if (access(binary, R_OK) != 0 && access(dsp_source, R_OK) != 0) {
        /* The bundle, UI included, is built once the plugin's glue exists. */
        printf("SKIP test_ui: %s not built (the bundle waits for plugin/pianola.c)\n", binary);
        return 0;
    }

    snprintf(host.bundle_path, sizeof host.bundle_path, "%s", binary);
    char *slash = strrchr(host.bundle_path, '/');
    if (slash)
        slash[1] = '\0';
    else
        snprintf(host.bundle_path, sizeof host.bundle_path, "./");

    void *library = dlopen(binary, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        printf("FAIL test_ui: cannot load %s: %s\n", binary, dlerror());
        return 1;
    }
    LV2UI_DescriptorFunction descriptor_function =
        (LV2UI_DescriptorFunction)(uintptr_t)dlsym(library, "lv2ui_descriptor");
    host.descriptor = descriptor_function ? descriptor_function(0) : NULL;
    if (!host.descriptor || strcmp(host.descriptor->URI, PIANOLA_UI_URI)) {
        printf("FAIL test_ui: %s has no lv2ui_descriptor for %s\n", binary, PIANOLA_UI_URI);
        return 1;
    }
    if (open_libraries(why, sizeof why) != 0) {
        printf("FAIL test_ui: %s\n", why);
        return 1;
    }
    if (start_xvfb(why, sizeof why) != 0) {
        printf("SKIP test_ui: no X server to draw in (%s)\n", why);
        return 0;
    }
    atexit(stop_xvfb);
    unsetenv("GDK_SCALE");
    x.set_error_handler(record_x_error);
    host.display = x.open_display(NULL);
    if (!host.display) {
        printf("FAIL test_ui: cannot open the X display %s\n", getenv("DISPLAY"));
        return 1;
    }
    host.map.handle = &host.urids;
    host.map.map = map_uri;
    host.atom_eventTransfer = urid(LV2_ATOM__eventTransfer);
    host.UiOn = urid(PIANOLA__UiOn);
    host.UiOff = urid(PIANOLA__UiOff);
    host.screenshots = "ui-screenshots";
    mkdir(host.screenshots, 0755);

    RUN_TEST(test_ui_says_hello_and_goodbye_to_the_dsp);
    RUN_TEST(test_ui_tells_the_host_its_size_at_its_scale);
    RUN_TEST(test_ui_scales_with_the_desktops_xft_dpi);
    RUN_TEST(test_ui_takes_the_hosts_scale_factor);
    RUN_TEST(test_temperature_knob_turns_with_its_port);
    RUN_TEST(test_notes_appear_at_their_pitch_rows);
    RUN_TEST(test_each_part_of_an_ensemble_has_its_colour);
    RUN_TEST(test_ensemble_and_melody_knobs_write_their_ports);
    RUN_TEST(test_quiet_notes_are_darker_than_loud_ones);
    RUN_TEST(test_playhead_moves_between_messages);
    RUN_TEST(test_a_cut_forgets_the_notes_after_it);
    RUN_TEST(test_dsp_messages_show_under_the_roll);
    RUN_TEST(test_capture_button_follows_capture_state);
    RUN_TEST(test_click_on_capture_writes_the_capture_port);
    RUN_TEST(test_double_click_resets_each_knob_to_the_plugins_default);
    RUN_TEST(test_dragging_up_and_the_wheel_raise_values);
    RUN_TEST(test_steering_knobs_step_through_whole_choices);
    RUN_TEST(test_reroll_sends_a_pulse);
    RUN_TEST(test_clicks_choose_composer_and_toggle_compose);
    RUN_TEST(test_composer_pills_follow_the_models_choices_and_the_model_row_asks_for_a_file);
    RUN_TEST(test_the_model_row_names_the_network_that_composes);
    RUN_TEST(test_seed_field_takes_typed_digits_and_gives_focus_back);
    RUN_TEST(test_ui_embeds_in_a_32_bit_parent_without_x_errors);
    RUN_TEST(test_ui_closes_cleanly_after_the_host_destroyed_its_window);
    RUN_TEST(test_ui_survives_odd_sizes_bad_messages_and_a_flood);
    RUN_TEST(test_messages_before_the_ui_exists_are_ignored);
    RUN_TEST(test_the_window_serves_the_midi_plugin_at_its_ports);
    RUN_TEST(test_the_window_serves_the_parts_plugin_at_its_ports);
    if (x_errors)
        printf("FAIL test_ui_makes_no_x_errors: %d X errors (the last: error %d on request "
               "%d)\n", x_errors, x_error_code, x_error_request);
    else
        printf("PASS test_ui_makes_no_x_errors\n");

    const char *references = getenv("PIANOLA_UI_SCREENSHOTS");
    if (references && *references) {
        host.screenshots = references;
        stage_reference_screenshots();
    }

    x.close_display(host.display);
    stop_xvfb();
    CHECK_EXIT();
}
