# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'wrap_up_panel.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import (QCoreApplication, QDate, QDateTime, QLocale,
    QMetaObject, QObject, QPoint, QRect,
    QSize, QTime, QUrl, Qt)
from PySide6.QtGui import (QBrush, QColor, QConicalGradient, QCursor,
    QFont, QFontDatabase, QGradient, QIcon,
    QImage, QKeySequence, QLinearGradient, QPainter,
    QPalette, QPixmap, QRadialGradient, QTransform)
from PySide6.QtWidgets import (QApplication, QGroupBox, QHBoxLayout, QLabel,
    QPlainTextEdit, QPushButton, QSizePolicy, QVBoxLayout,
    QWidget)

class Ui_WrapUpPanel(object):
    def setupUi(self, WrapUpPanel):
        if not WrapUpPanel.objectName():
            WrapUpPanel.setObjectName(u"WrapUpPanel")
        WrapUpPanel.resize(420, 320)
        self.wrapUpLayout = QVBoxLayout(WrapUpPanel)
        self.wrapUpLayout.setObjectName(u"wrapUpLayout")
        self.timerLabel = QLabel(WrapUpPanel)
        self.timerLabel.setObjectName(u"timerLabel")

        self.wrapUpLayout.addWidget(self.timerLabel)

        self.notesLabel = QLabel(WrapUpPanel)
        self.notesLabel.setObjectName(u"notesLabel")

        self.wrapUpLayout.addWidget(self.notesLabel)

        self.notesEdit = QPlainTextEdit(WrapUpPanel)
        self.notesEdit.setObjectName(u"notesEdit")
        sizePolicy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        sizePolicy.setHorizontalStretch(0)
        sizePolicy.setVerticalStretch(1)
        sizePolicy.setHeightForWidth(self.notesEdit.sizePolicy().hasHeightForWidth())
        self.notesEdit.setSizePolicy(sizePolicy)
        self.notesEdit.setTabChangesFocus(True)

        self.wrapUpLayout.addWidget(self.notesEdit)

        self.counterRow = QHBoxLayout()
        self.counterRow.setObjectName(u"counterRow")
        self.errorLabel = QLabel(WrapUpPanel)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)
        sizePolicy1 = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        sizePolicy1.setHorizontalStretch(1)
        sizePolicy1.setVerticalStretch(0)
        sizePolicy1.setHeightForWidth(self.errorLabel.sizePolicy().hasHeightForWidth())
        self.errorLabel.setSizePolicy(sizePolicy1)

        self.counterRow.addWidget(self.errorLabel)

        self.counterLabel = QLabel(WrapUpPanel)
        self.counterLabel.setObjectName(u"counterLabel")
        self.counterLabel.setText(u"0/2000")
        self.counterLabel.setAlignment(Qt.AlignmentFlag.AlignRight|Qt.AlignmentFlag.AlignVCenter)

        self.counterRow.addWidget(self.counterLabel)


        self.wrapUpLayout.addLayout(self.counterRow)

        self.outboxLabel = QLabel(WrapUpPanel)
        self.outboxLabel.setObjectName(u"outboxLabel")
        self.outboxLabel.setWordWrap(True)

        self.wrapUpLayout.addWidget(self.outboxLabel)

        self.finishButton = QPushButton(WrapUpPanel)
        self.finishButton.setObjectName(u"finishButton")

        self.wrapUpLayout.addWidget(self.finishButton)

#if QT_CONFIG(shortcut)
        self.notesLabel.setBuddy(self.notesEdit)
#endif // QT_CONFIG(shortcut)

        self.retranslateUi(WrapUpPanel)

        QMetaObject.connectSlotsByName(WrapUpPanel)
    # setupUi

    def retranslateUi(self, WrapUpPanel):
        WrapUpPanel.setTitle(QCoreApplication.translate("WrapUpPanel", u"\u8bdd\u540e\u6574\u7406", None))
        self.timerLabel.setText("")
        self.notesLabel.setText(QCoreApplication.translate("WrapUpPanel", u"\u8bdd\u540e\u5c0f\u7ed3", None))
        self.notesEdit.setPlaceholderText(QCoreApplication.translate("WrapUpPanel", u"\u5ba2\u6237\u8bc9\u6c42\u3001\u529e\u7406\u7ed3\u679c\u3001\u9700\u8ddf\u8fdb\u4e8b\u9879(\u5b8c\u6210\u6574\u7406\u65f6\u63d0\u4ea4\u5230\u670d\u52a1\u5668,\u968f\u4f1a\u8bdd\u5b58\u6863)", None))
        self.errorLabel.setText("")
        self.outboxLabel.setText("")
        self.finishButton.setText(QCoreApplication.translate("WrapUpPanel", u"\u5b8c\u6210\u6574\u7406", None))
    # retranslateUi

